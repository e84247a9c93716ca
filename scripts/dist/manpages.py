#!/usr/bin/env python3
"""Writes man pages for sluice and each of its commands from the binary's own description of
its arguments (`sluice --experimental-dump-help`, swift-argument-parser's ToolInfo JSON), so
that they say exactly what `--help` says.

    manpages.py BINARY OUTPUT_FOLDER VERSION
"""
import datetime
import json
import os
import subprocess
import sys


def roff(text):
    """Text made safe for roff: backslashes doubled, a leading dot or quote escaped."""
    text = (text or "").replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def flag_names(argument):
    names = []
    for name in argument.get("names", []):
        names.append(("-" if name["kind"] == "short" else "--") + name["name"])
    return ", ".join(names)


def page(command, path, version, date):
    full = " ".join(path)
    title = "-".join(path).upper()
    out = [f'.TH "{title}" 1 "{date}" "sluice {version}" "Sluice Manual"', ".SH NAME", f"{roff(full)} \\- {roff(command.get('abstract', ''))}"]
    arguments = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)]
    synopsis = [f"\\fB{roff(full)}\\fR"]
    for argument in arguments:
        if argument["kind"] == "positional":
            synopsis.append(f"\\fI{roff(argument['valueName'])}\\fR" + ("..." if argument.get("isRepeating") else ""))
    if any(a["kind"] != "positional" for a in arguments):
        synopsis.append("[\\fIoptions\\fR]")
    subcommands = [s for s in command.get("subcommands", []) if s.get("shouldDisplay", True) and s["commandName"] != "help"]
    if subcommands:
        synopsis.append("\\fIcommand\\fR")
    out += [".SH SYNOPSIS", " ".join(synopsis)]
    if command.get("discussion"):
        out += [".SH DESCRIPTION", roff(command["discussion"])]
    if arguments:
        out.append(".SH OPTIONS")
        for argument in arguments:
            if argument["kind"] == "positional":
                label = f"\\fI{roff(argument['valueName'])}\\fR"
            else:
                label = f"\\fB{roff(flag_names(argument))}\\fR"
                if argument["kind"] == "option":
                    label += f" \\fI{roff(argument.get('valueName', 'value'))}\\fR"
            out += [".TP", label, roff(argument.get("abstract", "")) or "."]
            if argument.get("defaultValue"):
                out.append(f"(default: {roff(argument['defaultValue'])})")
    if subcommands:
        out.append(".SH COMMANDS")
        for sub in subcommands:
            out += [".TP", f"\\fB{roff(sub['commandName'])}\\fR", roff(sub.get("abstract", "")) + f" See \\fB{'-'.join(path + [sub['commandName']])}\\fR(1)."]
    out += [".SH SEE ALSO", "docs/pipeline.md in the source tree; \\fBsluice\\fR(1)."]
    return "\n".join(out) + "\n"


def write(command, path, folder, version, date):
    name = "-".join(path) + ".1"
    with open(os.path.join(folder, name), "w") as handle:
        handle.write(page(command, path, version, date))
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            write(sub, path + [sub["commandName"]], folder, version, date)


def main():
    binary, folder, version = sys.argv[1:4]
    tool = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True).stdout)
    os.makedirs(folder, exist_ok=True)
    date = datetime.date.today().isoformat()
    write(tool["command"], ["sluice"], folder, version, date)


if __name__ == "__main__":
    main()
