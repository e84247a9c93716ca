import Foundation
import SluiceFormats
import SluiceTestSupport
import Testing

/// Pages of PDFs made by Ghostscript, as written and with their objects packed in compressed
/// object streams (qpdf), against the pages they were made with.
@Suite(.enabled(if: GeneratedPDF.runs, "skipped: no Ghostscript or qpdf"))
struct PDFPageCountTests {
    @Test(arguments: [1, 3, 12]) func pagesAreCountedPlainAndPacked(pages: Int) throws {
        let folder = try TemporaryDirectory("sluice-pdf")
        let plain = folder.file("plain.pdf")
        try GeneratedPDF.write((0..<pages).map { ["page \($0 + 1)", "of \(pages)"] }, to: plain)
        #expect(try PDFPageCount.of(plain) == pages)
        let packed = folder.file("packed.pdf")
        try GeneratedPDF.packObjects(plain, into: packed)
        let text = try String(decoding: Data(contentsOf: URL(fileURLWithPath: packed)), as: UTF8.self)
        #expect(text.contains("/ObjStm"), "qpdf packed no object stream: the test would not test unpacking")
        #expect(try PDFPageCount.of(packed) == pages)
    }

    @Test func aFileThatIsNotAPDFHasNoPages() throws {
        let folder = try TemporaryDirectory("sluice-pdf")
        try "hello /Type /Page\n".write(toFile: folder.file("x.pdf"), atomically: true, encoding: .utf8)
        #expect(try PDFPageCount.of(folder.file("x.pdf")) == nil)
    }
}
