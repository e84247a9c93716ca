import Foundation
import Yams

/// A YAML node with the context needed for clear errors: the file, the line and what it is.
public struct ConfigNode {
    let node: Node
    /// The pipeline file.
    public let file: String
    /// Where the node sits, e.g. `stages[2].command`.
    public let path: String

    /// The node's line in the pipeline file, when YAML recorded one.
    public var line: Int? { node.mark?.line }

    /// A configuration error of `code` at this node's file and line.
    public func error(_ code: ConfigError.Code, _ message: String) -> ConfigError {
        ConfigError(code, message, file: file, line: line)
    }

    /// The keys and values of a mapping, after checking that every key is one of `known`.
    public func mapping(known: [String]) throws -> [String: ConfigNode] {
        guard let mapping = node.mapping else { throw error(.badValue, "\(path) must be a mapping of keys to values") }
        var result: [String: ConfigNode] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error(.badValue, "\(path) has a key that is not text") }
            guard known.contains(name) else {
                let place = ConfigNode(node: key, file: file, path: path)
                throw place.error(.unknownKey, "unknown key '\(name)'\(path.isEmpty ? "" : " in \(path)") (known keys: \(known.joined(separator: ", ")))")
            }
            result[name] = ConfigNode(node: value, file: file, path: path.isEmpty ? name : "\(path).\(name)")
        }
        return result
    }

    /// The keys and values of a mapping in file order, any keys (checked by whoever reads them).
    public var orderedMapping: [(key: String, value: ConfigNode)]? {
        guard let mapping = node.mapping else { return nil }
        var entries: [(key: String, value: ConfigNode)] = []
        for (key, value) in mapping {
            guard let name = key.string else { return nil }
            entries.append((name, ConfigNode(node: value, file: file, path: path.isEmpty ? name : "\(path).\(name)")))
        }
        return entries
    }

    /// True for a value left empty (`- cleanup:`, `~`, `null`).
    public var isEmpty: Bool { node.scalar.map { ["", "~", "null"].contains($0.string) } ?? false }

    /// True for a mapping of keys to values.
    public var isMapping: Bool { node.mapping != nil }

    /// The items of a sequence, each with its index in its path; nil when the node is not a sequence.
    public var sequence: [ConfigNode]? {
        node.sequence.map { items in items.enumerated().map { ConfigNode(node: $1, file: file, path: "\(path)[\($0)]") } }
    }

    /// The node's text; throws `badValue` when it is not a scalar.
    public func string() throws -> String {
        guard let value = node.scalar?.string else { throw error(.badValue, "\(path) must be text") }
        return value
    }

    /// The node as the path of a file this process can read (`absolute` resolves it against the
    /// pipeline's folder); throws `missingFile`, naming it as `what` (e.g. `ca_file:`), when not.
    public func readableFile(_ what: String, absolute: (String) -> String) throws -> String {
        let path = absolute(try string())
        guard FileManager.default.isReadableFile(atPath: path) else { throw error(.missingFile, "\(what) \(path) cannot be read") }
        return path
    }

    /// The node as an http(s) address, without trailing slashes; throws `badValue`, naming it
    /// as `what` (e.g. `ena api:`), when it is not one.
    public func httpAddress(_ what: String) throws -> String {
        var address = try string()
        while address.hasSuffix("/") { address.removeLast() }
        guard let url = URL(string: address), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw error(.badValue, "\(what) '\(address)' is not an http(s) address")
        }
        return address
    }

    /// The texts of a sequence, or the node's one text as a list of one.
    public func strings() throws -> [String] {
        if let sequence { return try sequence.map { try $0.string() } }
        return [try string()]
    }

    /// The node as a whole number; throws `badValue` unless it is one and at least `minimum`.
    public func int(atLeast minimum: Int = 0) throws -> Int {
        guard let text = node.scalar?.string, let value = Int(text), value >= minimum else {
            throw error(.badValue, "\(path) must be a whole number ≥ \(minimum), not '\(node.scalar?.string ?? "a list")'")
        }
        return value
    }

    /// The node as a number; throws `badValue` unless it is one and lies in `range`.
    public func double(in range: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude) throws -> Double {
        guard let text = node.scalar?.string, let value = Double(text), range.contains(value) else {
            throw error(.badValue, "\(path) must be a number in \(range.lowerBound)…\(range.upperBound), not '\(node.scalar?.string ?? "a list")'")
        }
        return value
    }

    /// The node as a flag: true, yes or on; false, no or off (any case). Throws `badValue` otherwise.
    public func bool() throws -> Bool {
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(.badValue, "\(path) must be true or false")
        }
    }

    /// The node as a size in bytes (e.g. `500MB`, `2GiB`, `1048576`); throws `badValue` otherwise.
    public func bytes() throws -> Int64 {
        guard let text = node.scalar?.string, let value = ByteSize.parse(text) else {
            throw error(.badValue, "\(path) must be a size such as 500MB, 2GiB or 1048576, not '\(node.scalar?.string ?? "a list")'")
        }
        return value
    }

    /// The node as a duration in seconds (e.g. `30s`, `10m`, `2h`); throws `badValue` otherwise.
    public func seconds() throws -> Double {
        guard let text = node.scalar?.string, let value = DurationText.parse(text) else {
            throw error(.badValue, "\(path) must be a duration such as 30s, 10m or 2h, not '\(node.scalar?.string ?? "a list")'")
        }
        return value
    }

    /// The node as a workspace area, by its name; throws `badValue` for any other word.
    public func area() throws -> Area { try choice(Area.self) }

    /// One of a fixed set of words (an enum's raw values); the error lists them.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type) throws -> Choice where Choice.RawValue == String {
        let text = try string()
        guard let value = Choice(rawValue: text) else {
            throw error(.badValue, "\(path) must be one of \(Choice.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        return value
    }
}
