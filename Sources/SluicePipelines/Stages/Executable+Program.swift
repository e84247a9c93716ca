import Subprocess
import SystemPackage

extension Executable {
    /// A program as a command names it: a path when it has a slash, else a name looked up on PATH.
    static func program(_ name: String) -> Executable {
        name.contains("/") ? .path(FilePath(name)) : .name(name)
    }
}
