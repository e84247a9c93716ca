/// Buffers reused from page to page so that encoding a chunk allocates a few times, not per page.
struct PageScratch {
    var values: [UInt8] = []
    var body: [UInt8] = []
    var compressed: [UInt8] = []
}
