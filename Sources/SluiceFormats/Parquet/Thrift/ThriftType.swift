/// The element and field type tags of the Thrift compact protocol.
///
/// Booleans are special: a boolean *field* stores its value in the tag (1 = true, 2 = false),
/// while a boolean *list element* is a whole byte.
enum ThriftType: UInt8, Sendable {
    case stop = 0
    case boolTrue = 1
    case boolFalse = 2
    case byte = 3
    case i16 = 4
    case i32 = 5
    case i64 = 6
    case double = 7
    case binary = 8
    case list = 9
    case set = 10
    case map = 11
    case `struct` = 12
}
