#!/usr/bin/env python3
"""attls(7)'s MESSAGES section from the README: the message catalogue is
written once, in the table under "Tracing and the message catalogue", and
this section is made from it at build time (as attls.ini(5) is made from
the policy tables), then put where the page template says @MESSAGES@.

usage: gen-messages.py README.md TEMPLATE >attls.7"""
import importlib.util
import os
import re
import sys

spec = importlib.util.spec_from_file_location(
    "gen_ini", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen-attls-ini.py"))
gen_ini = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_ini)


def messages(readme):
    lines = open(readme, encoding="utf-8").read().split("\n")
    start = lines.index("## Tracing and the message catalogue")
    out = [
        ".SH MESSAGES",
        "Each line attls logs begins with its id: \\fBATTLS\\fInnn\\fR and a letter, "
        "\\fBI\\fR (information), \\fBW\\fR (warning) or \\fBE\\fR (error). The trace bit "
        "is the \\fBtrace\\fR value of \\fBattls.ini\\fR(5) that lets it through.",
    ]
    n = 0
    for l in lines[start + 1:]:
        if l.startswith("## "):
            break
        if not re.match(r"^\| ATTLS\d{3}[IWE] \|", l):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", l.strip())[1:-1]]
        if len(cells) != 3:
            continue
        mid, bit, meaning = cells
        out.append(".TP")
        out.append(gen_ini.line("**%s** (%s)" % (mid, bit)))
        out.append(gen_ini.line(meaning.replace("\\|", "|")))
        n += 1
    if not n:
        sys.exit("gen-messages.py: no message rows under \"Tracing and the message catalogue\"")
    return out


def main():
    readme, template = sys.argv[1], sys.argv[2]
    body = messages(readme)
    for l in open(template, encoding="utf-8").read().split("\n")[:-1]:
        if l == "@MESSAGES@":
            sys.stdout.write("\n".join(body) + "\n")
        else:
            sys.stdout.write(l + "\n")


if __name__ == "__main__":
    main()
