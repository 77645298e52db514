"""The lab's sudo stand-in reads sudoers as sudo does (the subset the lab writes)."""

from __future__ import annotations

from otcctl_lab.sudo_standin import parse_sudoers


def test_rules_and_requiretty_defaults() -> None:
    sudoers = parse_sudoers(
        "# comment\nDefaults requiretty\nDefaults:otcops !requiretty\n"
        "otcops ALL=(oracle) NOPASSWD: ALL\nwebuser ALL=(root) /sbin/shutdown, /usr/bin/systemctl\n"
    )
    assert sudoers.needs_tty("webuser") and not sudoers.needs_tty("otcops")
    oracle, root = sudoers.rules
    assert oracle.allows("otcops", "oracle", "env sqlplus -S") and not oracle.allows("otcops", "root", "id")
    assert oracle.nopasswd and not root.nopasswd
    assert root.allows("webuser", "root", "/sbin/shutdown -r now") and not root.allows("webuser", "root", "bash")
