/// How the server answers one request path: a plain file, or one of the injected faults.
///
/// Fault routes are a prefix in front of the real path (for example `/fail/2/data/f.bin`);
/// the `file` each carries is still percent-encoded, exactly as requested.
enum LoopbackRoute: Equatable {
    /// Serve `file` normally.
    case file(String)
    /// Answer 500 to the first `times` requests for this path, then serve `file`.
    case fail(times: Int, file: String)
    /// Answer 429 with `Retry-After: 1` to the first `times` requests for this path, then serve `file`.
    case busy(times: Int, file: String)
    /// For the first `times` requests send the headers and about half the body, then close.
    case reset(times: Int, file: String)
    /// Always advertise the full length, send about half the body, then close.
    case truncate(file: String)
    /// Serve `file` with a pause of `milliseconds` between body chunks.
    case slow(milliseconds: Int, file: String)
    /// Never answer; the connection stays open until the client gives up or the server shuts down.
    case hang
    /// Answer 302 with `Location: /<target>`.
    case redirect(target: String)
    /// Answer with this status code and a short text body.
    case status(code: Int)
    /// The fault prefix is malformed: answer 400 with `message`.
    case invalid(message: String)

    /// Parses `path`, the request's path without its query (it starts with `/`).
    init(path: String) {
        let trimmed = path.drop(while: { $0 == "/" })
        let parts = trimmed.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let keyword = parts.first ?? ""
        let rest = parts.dropFirst().joined(separator: "/")

        func counted(_ make: (Int, String) -> LoopbackRoute) -> LoopbackRoute {
            guard parts.count == 3, let number = Int(parts[1]), number >= 0, !parts[2].isEmpty else {
                return .invalid(message: "expected /\(keyword)/NUMBER/PATH")
            }
            return make(number, parts[2])
        }

        switch keyword {
        case "fail":
            self = counted { .fail(times: $0, file: $1) }
        case "busy":
            self = counted { .busy(times: $0, file: $1) }
        case "reset":
            self = counted { .reset(times: $0, file: $1) }
        case "slow":
            self = counted { .slow(milliseconds: $0, file: $1) }
        case "truncate":
            self = rest.isEmpty ? .invalid(message: "expected /truncate/PATH") : .truncate(file: rest)
        case "hang":
            self = .hang
        case "redirect":
            self = rest.isEmpty ? .invalid(message: "expected /redirect/PATH") : .redirect(target: rest)
        case "status":
            guard parts.count >= 2, let code = Int(parts[1]), (200...599).contains(code) else {
                self = .invalid(message: "expected /status/CODE/... with CODE in 200...599")
                return
            }
            self = .status(code: code)
        default:
            self = .file(String(trimmed))
        }
    }
}
