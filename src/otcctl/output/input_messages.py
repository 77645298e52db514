"""Patterns for the problems an operator meets in bad input files, for ``messages.translate``.

The loaders (model, plan) and the journal readers raise English with values inside; PyYAML and
pydantic add their own English. Each pattern names the values it keeps as typed (file names,
fields, numbers, YAML text); groups named ``why``, ``detail``, ``problem`` or ``context`` are
translated in turn, so a frame like ``YAML syntax error: ...`` is Chinese even when PyYAML's
words inside it are new to the catalog (they are then shown as PyYAML wrote them).
Fixed sentences are marked with ``N_()`` where they are raised.
"""

from __future__ import annotations

from otcctl.i18n import N_

_Q = r"(?:'[^']*'|\"[^\"]*\")"  # a value as repr() writes it

# libyaml's and PyYAML's own words, inside "YAML syntax error: {problem} ({context})"
YAML_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"YAML syntax error: (?P<problem>.+?) \((?P<context>(?:while|expected|found) [^()]*)\)",
     N_("YAML syntax error: {problem} ({context})")),
    (r"YAML syntax error: (?P<problem>.+)", N_("YAML syntax error: {problem}")),
    (r"not valid YAML: (?P<problem>.+)", N_("not valid YAML: {problem}")),
    (r"duplicate key (?P<key>.*) \(first given on line (?P<line>\d+)\)",
     N_("duplicate key {key} (first given on line {line})")),
    (r"could not determine a constructor for the tag (?P<tag>.+)",
     N_("could not determine a constructor for the tag {tag}")),
    (r"found undefined alias (?P<alias>.+)", N_("found undefined alias {alias}")),
    (r"found character (?P<char>.+) that cannot start any token",
     N_("found character {char} that cannot start any token")),
    (r"found duplicate anchor (?P<anchor>.+?); first occurrence",
     N_("found duplicate anchor {anchor}; first occurrence")),
    (r"expected <block end>, but found (?P<token>.+)", N_("expected <block end>, but found {token}")),
    (r"expected (?P<wanted>'[^']*'(?: or '[^']*')?), but (?:got|found) (?P<token>.+)",
     N_("expected {wanted}, but found {token}")),
    (r"expected the node content, but found (?P<token>.+)", N_("expected the node content, but found {token}")),
    (r"expected alphabetic or numeric character, but found (?P<char>.+)",
     N_("expected alphabetic or numeric character, but found {char}")),
    (r"did not find expected (?P<wanted>'.+')", N_("did not find expected {wanted}")),
    (r"unacceptable character (?P<char>#x[0-9a-fA-F]+): (?P<detail>.+?)\s+in \"<unicode string>\", "
     r"position (?P<position>\d+)",
     N_("unacceptable character {char}: {detail} (at character {position})")),
)
YAML_SENTENCES = (
    N_("mapping values are not allowed in this context"),
    N_("mapping values are not allowed here"),
    N_("block sequence entries are not allowed in this context"),
    N_("block sequence entries are not allowed here"),
    N_("could not find expected ':'"),
    N_("did not find expected key"),
    N_("did not find expected '-' indicator"),
    N_("did not find expected ',' or ']'"),
    N_("did not find expected ',' or '}'"),
    N_("control characters are not allowed"),
    N_("YAML syntax error: second occurrence (found duplicate anchor; first occurrence)"),
    N_("did not find expected node content"),
    N_("did not find expected alphabetic or numeric character"),
    N_("did not find expected comment or line break"),
    N_("found undefined alias"),
    N_("found unexpected end of stream"),
    N_("found unknown escape character"),
    N_("found character that cannot start any token"),
    N_("found unknown directive name"),
    N_("found duplicate %YAML directive"),
    N_("found unhashable key"),
    N_("found unexpected ':'"),
    N_("but found another document"),
    N_("expected a single document in the stream"),
    N_("found duplicate anchor; first occurrence"),
    N_("second occurrence"),
    N_("while scanning a simple key"),
    N_("while scanning a plain scalar"),
    N_("while scanning a quoted scalar"),
    N_("while parsing a quoted scalar"),
    N_("while scanning a block scalar"),
    N_("while scanning for the next token"),
    N_("while scanning an anchor"),
    N_("while scanning an alias"),
    N_("while scanning a tag"),
    N_("while scanning a directive"),
    N_("while parsing a block mapping"),
    N_("while parsing a block collection"),
    N_("while parsing a block node"),
    N_("while parsing a flow sequence"),
    N_("while parsing a flow mapping"),
    N_("while parsing a flow node"),
    N_("while parsing a node"),
    N_("while constructing a mapping"),
    # strerror texts that follow "cannot be read:"
    N_("Permission denied"),
    N_("Is a directory"),
    N_("No such file or directory"),
)

# pydantic's words for the common error types (the rest are framed, their English kept)
PYDANTIC_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(?P<detail>.+) \(got (?P<got>.*)\)", N_("{detail} (got {got})")),
    (r"Input should be (?P<some>'[^']*'(?:, '[^']*')*) or (?P<last>'[^']*')", N_("Input should be {some} or {last}")),
    (r"Input should be (?P<value>'[^']*')", N_("Input should be {value}")),
    (r"String should have at least (?P<count>\d+) characters?", N_("String should have at least {count} characters")),
    (r"String should have at most (?P<count>\d+) characters?", N_("String should have at most {count} characters")),
    (r"String should match pattern (?P<pattern>'.*')", N_("String should match pattern {pattern}")),
    (r"List should have at least (?P<count>\d+) items? after validation, not (?P<got>\d+)",
     N_("List should have at least {count} items, not {got}")),
    (r"List should have at most (?P<count>\d+) items? after validation, not (?P<got>\d+)",
     N_("List should have at most {count} items, not {got}")),
    (r"Input should be greater than or equal to (?P<limit>\S+)",
     N_("Input should be greater than or equal to {limit}")),
    (r"Input should be greater than (?P<limit>\S+)", N_("Input should be greater than {limit}")),
    (r"Input should be less than or equal to (?P<limit>\S+)", N_("Input should be less than or equal to {limit}")),
    (r"Input should be less than (?P<limit>\S+)", N_("Input should be less than {limit}")),
    (r"Input should be a valid dictionary or instance of \w+", N_("Input should be a valid dictionary")),
    (r"(?P<english>(?:Input|String|List|Value|Dictionary|Tuple|Set|Object|Decimal|Assertion)\b.*)",
     N_("not a value this field takes: {english}")),
)
PYDANTIC_SENTENCES = (
    N_("Input should be a valid integer"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer, got a number with a fractional part"),
    N_("Input should be a valid number"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid string"),
    N_("Input should be a valid boolean"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Input should be a valid list"),
    N_("Input should be a valid dictionary"),
    N_("Input should be a finite number"),
    N_("Input should be None"),
    N_("Field required"),
)

# the loaders' own messages with values (model, plan)
INPUT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"not UTF-8 text \(byte (?P<byte>\d+)\); save the file as UTF-8",
     N_("not UTF-8 text (byte {byte}); save the file as UTF-8")),
    (r"cannot be read: (?P<why>.+)", N_("cannot be read: {why}")),
    (r"(?P<size>\d+) characters; a runbook or inventory is at most (?P<limit>\d+)",
     N_("{size} characters; a runbook or inventory is at most {limit}")),
    (r"nested deeper than otcctl reads \(at most (?P<limit>\d+) levels\)",
     N_("nested deeper than otcctl reads (at most {limit} levels)")),
    (r"nested deeper than (?P<limit>\d+) levels", N_("nested deeper than {limit} levels")),
    (r"expands to more than (?P<limit>\d+) values \(aliases inside aliases\?\)",
     N_("expands to more than {limit} values (aliases inside aliases?)")),
    (r"a value otcctl cannot read: (?P<english>.+)", N_("a value otcctl cannot read: {english}")),
    (r"unknown step kind (?P<kind>.*); known kinds: (?P<known>.*)",
     N_("unknown step kind {kind}; known kinds: {known}")),
    (r"the name must match the file name \((?P<stem>.+)\)", N_("the name must match the file name ({stem})")),
    (rf"duplicate step id (?P<id>{_Q}) \(first used on line (?P<line>\w+)\)",
     N_("duplicate step id {id} (first used on line {line})")),
    (rf"rollback step (?P<ref>{_Q}) is not among the runbook's rollback_steps",
     N_("rollback step {ref} is not among the runbook's rollback_steps")),
    (r"enabled_by names a parameter with choices \[yes, no\]: (?P<name>.+)",
     N_("enabled_by names a parameter with choices [yes, no]: {name}")),
    (r"\{\{(?P<name>[\w.]+)\}\} names no parameter \(declared: (?P<declared>.*)\)",
     N_("{{{{{name}}}}} names no parameter (declared: {declared})")),
    (r"\{\{(?P<name>[\w.]+)\}\} names no parameter", N_("{{{{{name}}}}} names no parameter")),
    (r"do not put quotes around \{\{\.\.\.\}\}: \{\{(?P<name>[\w.]+)\}\} stands (?P<why>.+?)\. otcctl quotes every "
     r"value for its shell, which is only safe outside any quotes: write it bare \(echo x \{\{p\}\} y; "
     r"\"x \" \+ \{\{p\}\} in PowerShell\)",
     N_("do not put quotes around {{{{...}}}}: {{{{{name}}}}} stands {why}. otcctl quotes every value for its "
        "shell, which is only safe outside any quotes: write it bare (echo x {{{{p}}}} y; \"x \" + {{{{p}}}} in "
        "PowerShell)")),
    (r"\{\{(?P<name>[\w.]+)\}\} stands (?P<why>.+); put it outside any quotes \(otcctl quotes it\)",
     N_("{{{{{name}}}}} stands {why}; put it outside any quotes (otcctl quotes it)")),
    (rf"value (?P<value>{_Q}) has characters cmd\.exe cannot take safely: (?P<chars>.*)",
     N_("value {value} has characters cmd.exe cannot take safely: {chars}")),
    (rf"value (?P<value>{_Q}) cannot go into a path \('\.\.' or NUL\)",
     N_("value {value} cannot go into a path ('..' or NUL)")),
    (r"(?P<host>\S+) is a manual-only host in (?P<file>.+): otcctl never connects to it; use a manual step "
     r"\(kind: manual, where: \.\.\.\)",
     N_("{host} is a manual-only host in {file}: otcctl never connects to it; use a manual step "
        "(kind: manual, where: ...)")),
    (rf"unknown host or group (?P<name>{_Q}) \(hosts: (?P<hosts>.*); groups: (?P<groups>.*)\) in (?P<file>.+)",
     N_("unknown host or group {name} (hosts: {hosts}; groups: {groups}) in {file}")),
    (r"a (?P<kind>\w+) step needs (?P<want>\w+) hosts, but (?P<host>\S+) is reached by (?P<transport>\S+)",
     N_("a {kind} step needs {want} hosts, but {host} is reached by {transport}")),
    (rf"service (?P<name>{_Q}) is not on (?P<hosts>.+) in (?P<file>.+)",
     N_("service {name} is not on {hosts} in {file}")),
    (rf"unknown database (?P<name>{_Q}) in (?P<file>.+)", N_("unknown database {name} in {file}")),
    (rf"unknown data file (?P<name>{_Q}) in (?P<file>.+)", N_("unknown data file {name} in {file}")),
    (r"data file (?P<name>\S+) needs file_type \(e\.g\. '04'\)", N_("data file {name} needs file_type (e.g. '04')")),
    (rf"unknown department (?P<name>{_Q}) \(known: (?P<known>.*)\) in (?P<file>.+)",
     N_("unknown department {name} (known: {known}) in {file}")),
    (r"database (?P<name>\S+) names unknown host (?P<host>\S+)", N_("database {name} names unknown host {host}")),
    (r"data file (?P<name>\S+) names unknown host (?P<host>\S+)", N_("data file {name} names unknown host {host}")),
    (r"a group has the same name as a host: (?P<names>.+)", N_("a group has the same name as a host: {names}")),
    (r"a condition names exactly one test \((?P<tests>[^)]*)\); this one names (?P<given>.+)",
     N_("a condition names exactly one test ({tests}); this one names {given}")),
    (r"not a valid regular expression: (?P<english>.+)", N_("not a valid regular expression: {english}")),
    (r"(?P<value>.+) is not a duration; write 30s, 5m, 1h30m or a number of seconds",
     N_("{value} is not a duration; write 30s, 5m, 1h30m or a number of seconds")),
    (r"(?P<value>.+) is not a duration otcctl can enforce \(not a finite number of seconds\)",
     N_("{value} is not a duration otcctl can enforce (not a finite number of seconds)")),
    (r"(?P<value>\S+) is longer than any step may take \(at most 7 days\)",
     N_("{value} is longer than any step may take (at most 7 days)")),
    (r"(?P<value>.+) is not a clock time; write HH:MM \(Asia/Shanghai\), e\.g\. 16:00",
     N_("{value} is not a clock time; write HH:MM (Asia/Shanghai), e.g. 16:00")),
    (rf"parameter (?P<name>{_Q}) has no value: give it with -p (?P<flag>\S+)=VALUE",
     N_("parameter {name} has no value: give it with -p {flag}=VALUE")),
    (r"(?P<value>.+) is not a whole number", N_("{value} is not a whole number")),
    (r"(?P<number>-?\d+) is below the minimum (?P<low>-?\d+)", N_("{number} is below the minimum {low}")),
    (r"(?P<number>-?\d+) is above the maximum (?P<high>-?\d+)", N_("{number} is above the maximum {high}")),
    (rf"(?P<value>{_Q}) is not one of (?P<choices>.+)", N_("{value} is not one of {choices}")),
    (r"step (?P<step>\S+): encoded for powershell -EncodedCommand it needs about (?P<length>\d+) characters, more "
     r"than cmd\.exe's (?P<limit>\d+); Windows will refuse it \('The command line is too long'\): split it into "
     r"several steps \(a PowerShell script of about 3,000 characters is the most one line carries\)",
     N_("step {step}: encoded for powershell -EncodedCommand it needs about {length} characters, more than "
        "cmd.exe's {limit}; Windows will refuse it ('The command line is too long'): split it into several steps "
        "(a PowerShell script of about 3,000 characters is the most one line carries)")),
    (r"step (?P<step>\S+): the command line has about (?P<length>\d+) characters, more than cmd\.exe's "
     r"(?P<limit>\d+); Windows will refuse it \('The command line is too long'\): split it into several steps",
     N_("step {step}: the command line has about {length} characters, more than cmd.exe's {limit}; Windows will "
        "refuse it ('The command line is too long'): split it into several steps")),
    # SSH key files, loaded before the run's first record (connectors/ssh.py load_private_key)
    (r"(?P<host>\S+): the key file (?P<path>.+?) does not exist", N_("{host}: the key file {path} does not exist")),
    (r"(?P<host>\S+): the key file (?P<path>.+?) cannot be read: (?P<why>.+)",
     N_("{host}: the key file {path} cannot be read: {why}")),
    (r"(?P<host>\S+): the key (?P<path>.+?) is protected by a passphrase; name the environment variable that holds "
     r"it \(credential passphrase_env\)",
     N_("{host}: the key {path} is protected by a passphrase; name the environment variable that holds it "
        "(credential passphrase_env)")),
    (r"(?P<host>\S+): the key file (?P<path>.+?) cannot be used \((?P<detail>.+)\); a wrong passphrase reads the same",
     N_("{host}: the key file {path} cannot be used ({detail}); a wrong passphrase reads the same")),
    (r"(?P<host>\S+): the key file (?P<path>.+?) cannot be used \((?P<detail>.+)\)",
     N_("{host}: the key file {path} cannot be used ({detail})")),
    # the CA file of a WinRM host (run/preflight.py)
    (r"(?P<path>.+?) does not exist; (?P<host>\S+)'s certificate is checked against it",
     N_("{path} does not exist; {host}'s certificate is checked against it")),
    (r"(?P<path>.+?) holds no certificate otcctl can read \((?P<detail>.+)\)",
     N_("{path} holds no certificate otcctl can read ({detail})")),
    # known_hosts (connectors/known_hosts.py, run/preflight.py)
    (r"the key is not valid base64 \((?P<detail>.+)\)", N_("the key is not valid base64 ({detail})")),
    (r"the key cannot be read \((?P<detail>.+)\)", N_("the key cannot be read ({detail})")),
    (r"a second, different (?P<kind>\S+) key for (?P<host>\S+) \(the first is on line (?P<first>\d+)\); only one can "
     r"be trusted: keep the right one",
     N_("a second, different {kind} key for {host} (the first is on line {first}); only one can be trusted: keep "
        "the right one")),
    (r"(?P<host>\S+) \((?P<name>\S+)\) has no key in this file; otcctl never trusts an unknown host key\. Add its key "
     r"after checking it on the console \(ssh-keyscan\)",
     N_("{host} ({name}) has no key in this file; otcctl never trusts an unknown host key. Add its key after "
        "checking it on the console (ssh-keyscan)")),
)

# what `otcctl runs` says about a journal that does not fit the ledger
HISTORY_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"cannot read this journal: (?P<why>.+)", N_("cannot read this journal: {why}")),
    (r"journal (?P<path>.+?), line (?P<line>\d+), field '(?P<field>[^']*)': (?P<why>.+)",
     N_("journal {path}, line {line}, field '{field}': {why}")),
    (r"journal (?P<path>.+?), line (?P<line>\d+): (?P<why>.+)", N_("journal {path}, line {line}: {why}")),
    (r"(?P<path>.+): the ledger's entry for this run was changed after it was written \(the next entry holds "
     r"another hash; see `otcctl verify`\)",
     N_("{path}: the ledger's entry for this run was changed after it was written (the next entry holds another "
        "hash; see `otcctl verify`)")),
    (r"(?P<path>.+): does not match the summary the ledger keeps for it \(the ledger was edited; see `otcctl "
     r"verify`\)",
     N_("{path}: does not match the summary the ledger keeps for it (the ledger was edited; see `otcctl verify`)")),
    (r"(?P<path>.+): not in the ledger \(see `otcctl verify`\)", N_("{path}: not in the ledger (see `otcctl verify`)")),
    (r"(?P<path>.+): its last record is not the (?P<record>\S+) record the ledger noted \(changed or replaced; see "
     r"`otcctl verify`\)",
     N_("{path}: its last record is not the {record} record the ledger noted (changed or replaced; see "
        "`otcctl verify`)")),
    (r"(?P<path>.+): shorter than when the ledger noted its (?P<record>\S+) \(records were cut; see `otcctl "
     r"verify`\)",
     N_("{path}: shorter than when the ledger noted its {record} (records were cut; see `otcctl verify`)")),
    (r"(?P<path>.+): changed after the run ended \(size differs from the ledger's; see `otcctl verify`\)",
     N_("{path}: changed after the run ended (size differs from the ledger's; see `otcctl verify`)")),
    (r"(?P<path>.+): the journal is gone; the ledger noted its (?P<record>\S+) \(see `otcctl verify`\)",
     N_("{path}: the journal is gone; the ledger noted its {record} (see `otcctl verify`)")),
    (r"unknown record kind (?P<kind>.+) \(written by a newer otcctl, or edited\)",
     N_("unknown record kind {kind} (written by a newer otcctl, or edited)")),
    (r"record format version (?P<version>.+); this otcctl reads (?P<readable>.+)",
     N_("record format version {version}; this otcctl reads {readable}")),
    (r"(?P<path>\S+\.jsonl): (?P<why>.+)", N_("{path}: {why}")),  # a journal that cannot be read at all
)

# a run refused before it starts, or a resume or review that cannot go on
RUN_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"no trading calendar for (?P<year>\d+): create (?P<path>.+) \(yearly task 创建交易年历\) from the State Council "
     r"holiday notice and the exchanges' closure notice",
     N_("no trading calendar for {year}: create {path} (yearly task 创建交易年历) from the State Council holiday "
        "notice and the exchanges' closure notice")),
    (r"(?P<runbook>\S+) must not run on a trading day, and (?P<why>.+)",
     N_("{runbook} must not run on a trading day, and {why}")),
    (r"(?P<runbook>\S+) runs on trading days only, and (?P<why>.+)",
     N_("{runbook} runs on trading days only, and {why}")),
    (r"(?P<day>\S+) is a trading day; (?P<runbook>\S+) takes the trading system out of service and must not run on a "
     r"trading day \(runbook property not_on_trading_day\)\.",
     N_("{day} is a trading day; {runbook} takes the trading system out of service and must not run on a trading "
        "day (runbook property not_on_trading_day).")),
    (r"step (?P<no>\S+) \((?P<id>[^)]+)\) is not before (?P<gate>\S+) Asia/Shanghai and it is (?P<now>\S+) now; "
     r"(?P<why>.+?), so the run would stop there; steps before it \((?P<before>[^)]*)\) would already have acted\. "
     r"Start it after \S+, or without --no-wait\.",
     N_("step {no} ({id}) is not before {gate} Asia/Shanghai and it is {now} now; {why}, so the run would stop there; "
        "steps before it ({before}) would already have acted. Start it after {gate}, or without --no-wait.")),
    (r"step (?P<no>\S+) \((?P<id>[^)]+)\) is not before (?P<gate>\S+) Asia/Shanghai and it is (?P<now>\S+) now; "
     r"(?P<why>.+?), so the run would stop there\. Start it after \S+, or without --no-wait\.",
     N_("step {no} ({id}) is not before {gate} Asia/Shanghai and it is {now} now; {why}, so the run would stop "
        "there. Start it after {gate}, or without --no-wait.")),
    (r"steps (?P<listed>.+) need an operator's answer and there is no terminal on standard input\. Run otcctl from a "
     r"terminal, or pre-approve confirmations with --assume-yes \(recorded as your approval\)\.",
     N_("steps {listed} need an operator's answer and there is no terminal on standard input. Run otcctl from a "
        "terminal, or pre-approve confirmations with --assume-yes (recorded as your approval).")),
    (r"disruptive steps against production \((?P<listed>.+)\) are confirmed live at a terminal, whatever "
     r"--assume-yes says, and there is no terminal on standard input\.",
     N_("disruptive steps against production ({listed}) are confirmed live at a terminal, whatever --assume-yes "
        "says, and there is no terminal on standard input.")),
    (r"(?P<name>\S+) may only be overridden against a lab inventory \(lab_only\); against production it keeps its "
     r"value (?P<value>.+)",
     N_("{name} may only be overridden against a lab inventory (lab_only); against production it keeps its value "
        "{value}")),
    (r"the state directory cannot take a journal: (?P<why>.+)", N_("the state directory cannot take a journal: {why}")),
    (r"only (?P<free>\d+) MiB free where the journal goes; otcctl needs (?P<need>\d+) MiB so the record of the run "
     r"cannot be cut short",
     N_("only {free} MiB free where the journal goes; otcctl needs {need} MiB so the record of the run cannot be "
        "cut short")),
    (r"run (?P<run>\S+) is over \((?P<outcome>[^)]+)\); it cannot be resumed: a finished or rolled-back run must "
     r"not carry on\. Start a new run if the procedure has to be done again\.",
     N_("run {run} is over ({outcome}); it cannot be resumed: a finished or rolled-back run must not carry on. "
        "Start a new run if the procedure has to be done again.")),
    (r"the runbook changed since run (?P<run>\S+) started \((?P<was>\w+) -> (?P<now>\w+)\); finishing it with a "
     r"different runbook would make the record lie\. Start a new run instead\.",
     N_("the runbook changed since run {run} started ({was} -> {now}); finishing it with a different runbook "
        "would make the record lie. Start a new run instead.")),
    (r"the inventory changed since run (?P<run>\S+) started \((?P<was>\w+) -> (?P<now>\w+)\); finishing it with a "
     r"different inventory would make the record lie\. Start a new run instead\.",
     N_("the inventory changed since run {run} started ({was} -> {now}); finishing it with a different inventory "
        "would make the record lie. Start a new run instead.")),
    (r"(?P<path>.+) describes the production estate, and this machine is marked OTCCTL_FORBID_PRODUCTION=1 \(tests, "
     r"CI, demos\): it must never connect there\. Use the lab's inventory\.",
     N_("{path} describes the production estate, and this machine is marked OTCCTL_FORBID_PRODUCTION=1 (tests, CI, "
        "demos): it must never connect there. Use the lab's inventory.")),
    (r"this run is not waiting for a review of step (?P<step>\S+)",
     N_("this run is not waiting for a review of step {step}")),
    (r"(?P<login>\S+): the operator's own login cannot review the operator's step",
     N_("{login}: the operator's own login cannot review the operator's step")),
)
RUN_SENTENCES = (N_("this run is not waiting for a review"),)
