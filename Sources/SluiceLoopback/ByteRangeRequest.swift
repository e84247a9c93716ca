/// What a request's `Range` header asks of a file of a known size.
enum ByteRangeRequest: Equatable {
    /// No usable range: serve the whole file with 200.
    case whole
    /// Serve the inclusive byte range `first...last` with 206.
    case partial(first: Int64, last: Int64)
    /// The range lies outside the file: answer 416.
    case unsatisfiable

    /// Interprets `header` (the value of `Range`, if any) against a file of `size` bytes.
    ///
    /// Understands `bytes=START-`, `bytes=START-END` and `bytes=-SUFFIX`. Headers it cannot parse,
    /// other units and multiple ranges are ignored (RFC 9110 allows this), giving ``whole``.
    init(header: String?, size: Int64) {
        guard let header else {
            self = .whole
            return
        }
        let trimmed = header.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else {
            self = .whole
            return
        }
        let spec = trimmed.dropFirst("bytes=".count).trimmingSpaces()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .whole
            return
        }
        let firstText = spec[..<dash].trimmingSpaces()
        let lastText = spec[spec.index(after: dash)...].trimmingSpaces()

        if firstText.isEmpty {
            // Suffix range: the last N bytes.
            guard let suffix = Int64(lastText), suffix >= 0 else {
                self = .whole
                return
            }
            guard suffix > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .partial(first: max(0, size - suffix), last: size - 1)
            return
        }
        guard let first = Int64(firstText), first >= 0 else {
            self = .whole
            return
        }
        var last = size - 1
        if !lastText.isEmpty {
            guard let requestedLast = Int64(lastText), requestedLast >= first else {
                self = .whole
                return
            }
            last = min(requestedLast, size - 1)
        }
        guard first < size else {
            self = .unsatisfiable
            return
        }
        self = .partial(first: first, last: last)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }),
            let end = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[start...end])
    }
}
