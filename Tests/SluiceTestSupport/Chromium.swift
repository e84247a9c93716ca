import Foundation

/// Headless Chromium (Debian's `chromium`, which `scripts/bootstrap` installs) for tests that
/// look at Sluice's pages as a browser renders them.
public enum Chromium {
    /// Whether tests that need Chromium run: when it is installed, and always in CI (where a
    /// missing one fails them rather than skips them).
    public static var runs: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// Renders `url` headless and returns the DOM after its scripts ran. A `live` page (one
    /// that keeps an event stream open, which virtual time would wait on for ever) is given
    /// four seconds of real time instead. Chromium is waited for off the cooperative pool.
    public static func dom(_ url: String, live: Bool = false) async throws -> String {
        try await offThePool { try run(["--dump-dom", url], live: live) }
    }

    /// Renders `url` into a `width`×`height` PNG at `path` (`live` as for ``dom(_:live:)``).
    public static func screenshot(_ url: String, to path: String, width: Int = 1200, height: Int = 900, live: Bool = false) async throws {
        _ = try await offThePool { try run(["--screenshot=\(path)", "--window-size=\(width),\(height)", "--hide-scrollbars", url], live: live) }
    }

    /// The share of a PNG's pixels that are not white (stdlib Python decodes it): 0 for a
    /// blank page.
    public static func inkedShare(ofPNG path: String) throws -> Double {
        let script = """
            import struct, sys, zlib
            data = open(sys.argv[1], 'rb').read()
            assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
            pos, idat, width, height, kind = 8, b'', 0, 0, 0
            while pos < len(data):
                length, tag = struct.unpack('>I4s', data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + length]
                if tag == b'IHDR':
                    width, height, depth, kind = struct.unpack('>IIBB', body[:10])
                elif tag == b'IDAT':
                    idat += body
                pos += 12 + length
            channels = {2: 3, 6: 4, 0: 1, 4: 2}[kind]
            raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
            for y in range(height):
                kind_, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
                for i in range(stride):
                    left = line[i - channels] if i >= channels else 0
                    up, corner = previous[i], previous[i - channels] if i >= channels else 0
                    if kind_ == 1: line[i] = (line[i] + left) & 255
                    elif kind_ == 2: line[i] = (line[i] + up) & 255
                    elif kind_ == 3: line[i] = (line[i] + (left + up) // 2) & 255
                    elif kind_ == 4:
                        p = left + up - corner
                        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                        line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
                rows.append(line)
                previous = line
            inked = sum(1 for line in rows for x in range(0, stride, channels) if min(line[x:x + 3]) < 200)
            print(inked / (width * height))
            """
        let output = try run(["python3", "-c", script, path], program: "/usr/bin/env")
        guard let share = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return share
    }

    /// Runs Chromium (or `program`) with `arguments`; returns its standard output.
    private static func run(_ arguments: [String], program: String = "/usr/bin/chromium", live: Bool = false) throws -> String {
        let profile = NSTemporaryDirectory() + "sluice-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let output = profile + ".out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        // As root Chromium needs --no-sandbox; a fresh profile keeps parallel runs apart.
        process.arguments =
            program.hasSuffix("chromium")
            ? ["--headless", "--no-sandbox", "--disable-gpu", "--log-level=3", "--user-data-dir=\(profile)", live ? "--timeout=4000" : "--virtual-time-budget=3000"]
                + arguments
            : arguments
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(program) \(arguments.first ?? "") exited with \(process.terminationStatus)"])
        }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }
}
