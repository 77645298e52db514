"""Template quoting and placeholder positions: command in, verdict or rendered command out."""

from __future__ import annotations

import subprocess

import pytest

from otcctl.model.quoting import unsafe_placeholders
from otcctl.model.templates import TemplateError, quote, render

PAYLOAD = "$(touch /tmp/pwned)"

# (context, template, safe?)
POSITIONS = [
    ("sh", "echo x {{p}} y", True),
    ("sh", "df -P {{p}} | awk 'NR==2 {print $5}'", True),
    ("sh", 'awk -v d1="$(date -d {{p}} +%b)" x', True),  # $(...) opens a fresh unquoted context
    ("sh", "echo --opt={{p}}", True),
    ("sh", 'echo "x {{p}} y"', False),
    ("sh", "echo 'x {{p}}'", False),
    ("sh", "echo `cat {{p}}`", False),
    ("sh", 'echo "${X:-{{p}}}"', False),
    ("sh", "echo \\{{p}}", False),
    ("sh", "echo ok # {{p}}", False),
    ("sh", "cat <<EOF\n{{p}}\nEOF", False),
    ("powershell", "Write-Output checking {{p}}", True),
    ("powershell", "$d = [datetime]::ParseExact({{p}}, 'yyyyMMdd', $null)", True),
    ("powershell", 'Write-Output "checking $({{p}})"', True),
    ("powershell", 'Write-Output "checking {{p}}"', False),
    ("powershell", "Write-Output 'checking {{p}}'", False),
    ("powershell", "Write-Output \u2018checking {{p}}\u2019", False),
    ("powershell", "Write-Output \u201cchecking {{p}}\u201d", False),
    ("powershell", "Write-Output `{{p}}", False),
    ("powershell", "Write-Output ok # {{p}}", False),
    ("powershell", "<# {{p}} #> Write-Output ok", False),
    ("powershell", "@\"\n{{p}}\n\"@", False),
    ("cmd", "dir {{p}}", True),
    ("cmd", 'dir "{{p}}"', False),
    ("cmd", "dir ^{{p}}", False),
]


@pytest.mark.parametrize(("context", "template", "safe"), POSITIONS)
def test_placeholder_positions(context: str, template: str, safe: bool) -> None:
    found = unsafe_placeholders(template, context)  # type: ignore[arg-type]
    assert (not found) == safe, found
    if not safe:
        with pytest.raises(TemplateError):
            render(template, {"p": "v"}, context)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", [PAYLOAD, "a'b", "`id`", "x\ny", "$HOME", "a b", "*", "-n", "\u2019; rm -rf /", ""]
)
def test_sh_quoting_round_trips_through_a_real_shell(value: str) -> None:
    command = render("printf %s {{p}}", {"p": value}, "sh")
    out = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=True)
    assert out.stdout == value


@pytest.mark.parametrize("quote_char", ["'", "\u2018", "\u2019", "\u201a", "\u201b"])
def test_powershell_doubles_every_single_quote_character(quote_char: str) -> None:
    value = f"x{quote_char}; Stop-Service -Name BLS; {quote_char}"
    quoted = quote(value, "powershell")
    assert quoted == "'" + value.replace(quote_char, quote_char * 2) + "'"


@pytest.mark.parametrize("value", ['a"b', "100%", "a&b", "a|b", "a^b", "a\nb", "a<b"])
def test_cmd_refuses_what_it_cannot_quote(value: str) -> None:
    with pytest.raises(TemplateError):
        quote(value, "cmd")


def test_cmd_quotes_spaces_and_leaves_plain_words() -> None:
    assert quote(r"D:\backup\dump", "cmd") == r"D:\backup\dump"
    assert quote("a b", "cmd") == '"a b"'


@pytest.mark.parametrize("value", ["../etc/passwd", "a/../../b", "a\x00b"])
def test_path_values_cannot_climb_or_cut(value: str) -> None:
    with pytest.raises(TemplateError):
        quote(value, "path")
