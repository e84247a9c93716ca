public import Foundation

/// Where the Hugging Face token comes from, as `huggingface_hub` looks for it: a file given on
/// the command line or in the pipeline, `HF_TOKEN`, then the login it saved (`HF_TOKEN_PATH`,
/// else `$HF_HOME/token`, else `~/.cache/huggingface/token`). The token itself is never printed.
public enum HubToken {
    /// The token; throws `hub.no-token` when none is found, or a token file that cannot be read.
    public static func resolve(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw HubError(.noToken, "cannot read the Hugging Face token file \(file)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw HubError(.noToken, "the Hugging Face token file \(file) is empty") }
            return token
        }
        if let token = environment["HF_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty { return token }
        let home = environment["HF_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache/huggingface")
        let saved = environment["HF_TOKEN_PATH"] ?? (home + "/token")
        if let text = try? String(contentsOfFile: saved, encoding: .utf8) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        throw HubError(.noToken, "no Hugging Face token: give a token file (--token-file, token_file:) or set HF_TOKEN")
    }

    /// The Hub's address: `HF_ENDPOINT`, else `https://huggingface.co` (``HubPublisher`` drops
    /// trailing slashes).
    public static func endpoint(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
    }
}
