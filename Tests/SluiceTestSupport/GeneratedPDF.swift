import Foundation

/// PDFs with known pages and text, made by Ghostscript (`gs`, Debian's `ghostscript`, which
/// `scripts/bootstrap` installs) from a PostScript program written here.
public enum GeneratedPDF {
    /// Whether the PDF tools the tests use can be run — `gs`, `qpdf` (object streams), and
    /// `pdftoppm` and `tesseract` (the OCR example) — all of which `scripts/bootstrap` installs;
    /// in CI they always must.
    public static var toolsExist: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return ["gs", "qpdf", "pdftoppm", "tesseract"].allSatisfy { tool in path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") } }
    }

    /// Whether tests that need them run: when they exist, and always in CI.
    public static var runs: Bool {
        if toolsExist || ProcessInfo.processInfo.environment["CI"] != nil { return true }
        FileHandle.standardError.write(Data("skipped: no Ghostscript, qpdf, pdftoppm or tesseract (scripts/bootstrap installs them)\n".utf8))
        return false
    }

    /// Writes a PDF at `path` with one page per element of `pages`, each page's lines in 14-point Helvetica.
    public static func write(_ pages: [[String]], to path: String) throws {
        var program = "%!PS\n/Helvetica findfont 14 scalefont setfont\n"
        for lines in pages {
            for (index, line) in lines.enumerated() {
                let escaped = line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
                program += "72 \(720 - 20 * index) moveto (\(escaped)) show\n"
            }
            program += "showpage\n"
        }
        let source = path + ".ps"
        try program.write(toFile: source, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: source) }
        try run("gs", ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-sOutputFile=\(path)", source])
    }

    /// Rewrites the PDF at `path` into `output` with its objects packed in compressed object
    /// streams (as PDF 1.5 writers do), through `qpdf`.
    public static func packObjects(_ path: String, into output: String) throws {
        try run("qpdf", ["--object-streams=generate", path, output])
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let status = runAndWait([tool] + arguments).status
        guard status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments.joined(separator: " ")) exited with status \(status)"])
        }
    }
}
