import Foundation
import SluiceEngine

/// Expands a command stage's argv for one run: placeholders become absolute paths or names,
/// and arguments that name paths with wildcards are expanded by Sluice (sorted).
///
/// In a batch, every argument that mentions `{in}`, `{out}` or `{item}` is repeated once per
/// item, in batch order. `{outs}` (group stages) is repeated once per member's input folder.
/// `{group_out}` is what a per: group-first stage before this one made for the item's group.
/// `{out:STAGE}` is the item's output folder of STAGE, a stage this one reads through its chain
/// of inputs (`from:`), e.g. the pseudobulk behind an activity stage's output.
struct CommandLineTemplate {
    let argv: [String]
    let reference: String?

    func expand(_ units: [StageUnit]) throws -> [String] {
        var result: [String] = []
        for (position, template) in argv.enumerated() {
            let perItem = ["{in}", "{out}", "{item}"].contains { template.contains($0) }
            let perMember = template.contains("{outs}")
            var expanded: [String] = []
            if perMember {
                for member in units[0].memberInputs { expanded.append(try substitute(template, units[0], outs: member)) }
            } else if perItem {
                for unit in units { expanded.append(try substitute(template, unit, outs: nil)) }
            } else {
                expanded.append(try substitute(template, units[0], outs: nil))
            }
            let namesPath = ["{in}", "{out}", "{outs}", "{ref}"].contains { template.contains($0) }
            for argument in expanded {
                if position > 0, namesPath, GlobPattern.hasWildcard(argument) {
                    let matches = GlobPattern(argument).expand()
                    guard !matches.isEmpty else {
                        throw StageError(code: "command.no-match", "no files match \(template) (\(argument))")
                    }
                    result += matches
                } else {
                    result.append(argument)
                }
            }
        }
        return result
    }

    private func substitute(_ template: String, _ unit: StageUnit, outs: String?) throws -> String {
        var text = try earlierOutputs(in: try groupOutputs(in: template, unit), unit)
        let group = unit.isCollective ? unit.name : (unit.item.group ?? "all")
        let values: [(String, String?)] = [
            ("{in}", unit.input), ("{out}", unit.partialOutput), ("{outs}", outs),
            ("{item}", unit.name), ("{group}", group), ("{ref}", reference),
        ]
        for (placeholder, value) in values { text = text.replacingOccurrences(of: placeholder, with: value ?? "") }
        return text
    }

    /// `template` with `{out:STAGE}` replaced by the item's output folder of STAGE.
    private func earlierOutputs(in template: String, _ unit: StageUnit) throws -> String {
        try Self.replacing("{out:", in: template) { stage in
            guard let folder = unit.earlierOutputs[stage] else {
                let known = unit.earlierOutputs.keys.sorted()
                throw StageError(
                    code: "command.no-earlier-output",
                    "{out:\(stage)}: \(stage) is not a stage this one reads through its inputs (from:)\(known.isEmpty ? "" : "; those are \(known.joined(separator: ", "))")")
            }
            guard FileManager.default.fileExists(atPath: folder) else {
                throw StageError(
                    code: "command.earlier-output-gone",
                    "{out:\(stage)}: the output of \(stage) for \(unit.name) is gone — the stage that reads it deleted it as its input; set delete_inputs: false there")
            }
            return folder
        }
    }

    /// `template` with `{group_out:STAGE}` replaced by what the per: group-first stage STAGE made
    /// for the unit's group, and `{group_out}` by the nearest such stage's.
    private func groupOutputs(in template: String, _ unit: StageUnit) throws -> String {
        try Self.replacing("{group_out", in: template) { named in
            if named.isEmpty {
                guard unit.groupOutputs.count == 1, let folder = unit.groupOutputs.values.first else {
                    throw StageError(
                        code: "command.no-group-output",
                        "{group_out} names the output of the one per: group-first stage before this one; there are \(unit.groupOutputs.count): use {group_out:STAGE}")
                }
                return folder
            }
            let stage = String(named.dropFirst())
            guard let folder = unit.groupOutputs[stage] else {
                throw StageError(code: "command.no-group-output", "{group_out:\(stage)}: no per: group-first stage named \(stage) comes before this one")
            }
            return folder
        }
    }

    /// `text` with each placeholder that starts with `opening` and runs to the next `}` replaced
    /// by what `resolve` makes of the characters between the two.
    private static func replacing(_ opening: String, in text: String, resolve: (String) throws -> String) throws -> String {
        var text = text
        while let open = text.range(of: opening) {
            guard let close = text[open.upperBound...].firstIndex(of: "}") else { break }
            text.replaceSubrange(open.lowerBound...close, with: try resolve(String(text[open.upperBound..<close])))
        }
        return text
    }
}
