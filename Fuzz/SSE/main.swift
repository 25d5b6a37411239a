// libFuzzer target for the SSE parser. The input's first byte says how many chunk edges to cut
// (its low 4 bits), the next bytes how long each chunk is; the rest is the stream. The events must
// be the same whether the stream comes whole, in those chunks through `feed`, or a byte at a time
// through `append`/`next`, and must match the reading below, written from the SSE rules
// (an event ends at a blank line: "\n\n", or "\n\r\n"; lines end at "\n" with an optional "\r"
// before it; only `data:` fields count, without one leading space, joined with "\n").
import LumenAPI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let header = input.first else { return 0 }
    let cuts = Int(header & 0x0F)
    guard input.count > cuts else { return 0 }
    let lengths = input[1..<(1 + cuts)].map(Int.init)
    let stream = Array(input[(1 + cuts)...])

    // Small limits make the "event too large" path reachable; that error depends on the chunking, so
    // a run that hits it is only checked for not crashing.
    let limit = header & 0x10 == 0 ? 1 << 20 : 64

    var whole = SSEParser(maxEventBytes: limit)
    guard var wholeEvents = try? whole.feed(bytes: stream) else { return 0 }
    if let last = whole.finish() { wholeEvents.append(last) }

    var chunked = SSEParser(maxEventBytes: limit)
    var chunkedEvents: [String] = []
    var start = 0
    do {
        for length in lengths + [stream.count] {
            let end = min(stream.count, start + length)
            chunkedEvents += try chunked.feed(bytes: stream[start..<end])
            start = end
        }
    } catch {
        return 0
    }
    if let last = chunked.finish() { chunkedEvents.append(last) }

    var single = SSEParser(maxEventBytes: limit)
    var singleEvents: [String] = []
    do {
        for byte in stream {
            single.append(bytes: CollectionOfOne(byte))
            while let event = try single.next() { singleEvents.append(event) }
        }
    } catch {
        return 0
    }
    if let last = single.finish() { singleEvents.append(last) }

    let expected = reference(stream)
    guard wholeEvents == expected, chunkedEvents == expected, singleEvents == expected else {
        fatalError("""
            SSE events differ for \(stream) cut at \(lengths):
            expected \(expected)
            whole    \(wholeEvents)
            chunked  \(chunkedEvents)
            bytewise \(singleEvents)
            """)
    }
    return 0
}

/// The events of a whole stream, read byte by byte from the rules above.
func reference(_ stream: [UInt8]) -> [String] {
    var blocks: [ArraySlice<UInt8>] = []
    var start = 0
    var index = 0
    while index < stream.count {
        if stream[index] == 0x0A {
            var next = index + 1
            if next < stream.count, stream[next] == 0x0D { next += 1 }
            if next < stream.count, stream[next] == 0x0A {
                blocks.append(stream[start..<index])
                start = next + 1
                index = start
                continue
            }
        }
        index += 1
    }
    blocks.append(stream[start...])
    return blocks.compactMap { block in
        var lines: [[UInt8]] = []
        for rawLine in block.split(separator: 0x0A) {
            var line = Array(rawLine)
            if line.last == 0x0D { line.removeLast() }
            guard line.starts(with: Array("data:".utf8)) else { continue }
            line.removeFirst(5)
            if line.first == 0x20 { line.removeFirst() }
            lines.append(line)
        }
        return lines.isEmpty ? nil : String(decoding: Array(lines.joined(separator: [0x0A])), as: UTF8.self)
    }
}
