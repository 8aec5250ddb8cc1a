#!/usr/bin/env python3
"""attls.ini(5) from the README: the policy file's sections and keys are
written once, in the README's tables under "The policy file", and this
page is made from them at build time, so the two cannot drift.

usage: gen-attls-ini.py README.md VERSION >attls.ini.5"""
import re
import sys


def roff(text):
    """Markdown inline text to roff: `code` bold, **x** bold, escapes."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"`([^`]*)`", lambda m: "\\fB" + m.group(1) + "\\fR", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", text)
    text = text.replace("-", "\\-")
    return text


def line(text):
    """One output line: a leading dot or quote would be a request."""
    text = roff(text)
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def main():
    readme, version = sys.argv[1], sys.argv[2]
    lines = open(readme, encoding="utf-8").read().split("\n")
    start = lines.index("## The policy file")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    body = lines[start + 1:end]
    intro = []
    i = 0
    while i < len(body) and not body[i].startswith("`[global]`"):
        intro.append(body[i])
        i += 1
    out = [
        '.TH ATTLS.INI 5 "" "attls %s" "File formats"' % version,
        ".SH NAME",
        "attls.ini \\- the attls policy file: traffic descriptors, key rings, security levels",
        ".SH SYNOPSIS",
        "/etc/attls/attls.ini, or the file named by \\fBATTLS_CONFIG\\fR or \\fBattls run \\-c\\fR",
        ".SH DESCRIPTION",
    ]
    para = []
    for l in intro:
        if not l.strip():
            if para:
                out.append(".PP")
                out.append(line(" ".join(para)))
                para = []
        elif l.startswith("    "):
            continue  # examples stay in the README
        else:
            para.append(l.strip())
    if para:
        out.append(".PP")
        out.append(line(" ".join(para)))
    # The tables: a heading line (`[section]`...), then | key | default | values | rows.
    rest = body[i:]
    j = 0
    while j < len(rest):
        l = rest[j]
        if l.startswith("`[") and "`" in l[1:]:
            head = l.split("`")[1]
            tail = l[len(head) + 2:].lstrip(": ").strip()
            out.append(".SH %s" % roff(head))
            if tail:
                out.append(line(tail))
            j += 1
            continue
        if l.startswith("| ") and not l.startswith("| key") and not l.startswith("| ---"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", l.strip())[1:-1]]
            if len(cells) == 3:
                key, default, values = cells
                out.append(".TP")
                out.append(line(key))
                out.append(line("Default: %s. %s" % (default, values.replace("\\|", "|"))))
            j += 1
            continue
        if l.startswith("`attls ") or (l.strip() == "" and j + 1 < len(rest) and rest[j + 1].startswith("`attls ")):
            break  # the commands' text: attls(1)
        j += 1
    out += [
        ".SH FILES",
        ".TP",
        "/etc/attls/attls.ini",
        "The policy when \\fBATTLS_CONFIG\\fR names none.",
        ".SH SEE ALSO",
        "\\fBattls\\fR(1), \\fBattls\\fR(7); the README of attls (\\fIREADME.md\\fR in its documentation",
        "directory, \\fI/usr/share/doc/attls\\fR for the package), from which this page is made, for",
        "the examples and the reasons.",
    ]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
