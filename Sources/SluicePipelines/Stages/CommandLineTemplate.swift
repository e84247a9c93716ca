import Foundation
import SluiceEngine

/// Expands a command stage's argv for one run: placeholders become absolute paths or names,
/// and arguments that name paths with wildcards are expanded by Sluice (sorted).
///
/// In a batch, every argument that mentions `{in}`, `{out}` or `{item}` is repeated once per
/// item, in batch order. `{outs}` (group stages) is repeated once per member's input folder.
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
                for member in units[0].memberInputs { expanded.append(substitute(template, units[0], outs: member)) }
            } else if perItem {
                for unit in units { expanded.append(substitute(template, unit, outs: nil)) }
            } else {
                expanded.append(substitute(template, units[0], outs: nil))
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

    private func substitute(_ template: String, _ unit: StageUnit, outs: String?) -> String {
        var text = template
        let group = unit.isCollective ? unit.name : (unit.item.group ?? "all")
        let values: [(String, String?)] = [
            ("{in}", unit.input), ("{out}", unit.partialOutput), ("{outs}", outs),
            ("{item}", unit.name), ("{group}", group), ("{ref}", reference),
        ]
        for (placeholder, value) in values { text = text.replacingOccurrences(of: placeholder, with: value ?? "") }
        return text
    }
}
