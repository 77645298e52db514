"""What went wrong talking WinRM, said so an operator can fix it: one paragraph, the exact change.

Three families are told apart because their fixes differ:

- **TLS**: a certificate issued to the host's *name* while otcctl connects by *address* (the
  usual self-signed or company-CA WinRM certificate) needs ``winrm.server_name``; a certificate
  from a CA otcctl does not trust needs ``winrm.ca_bundle``. The certificate the host presented
  is fetched once more, without trusting it, only to name what it carries (names, issuer, the
  SHA-1 thumbprint Windows shows in ``Cert:\\LocalMachine\\My``).
- **HTTP 401**: NTLM gives no way to learn *why* Windows refused. For a domain account that is a
  wrong password (or a locked, expired account); for a local account (``.\\user``,
  ``HOST\\user``) UAC remote restrictions refuse every administrator but the built-in one with the
  same 401, so the message names both causes and the registry value that lifts the restriction.
- **Access is denied (WS-Management fault 5)**: the password was right, the account may not use
  WinRM's command shell.

``sc`` exit codes that mean "waiting will not help" (5 access denied, 1051 dependents running,
1058 disabled, 1060 no such service) are read here too, so a service step stops at once instead
of polling for minutes.
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass

SC_REFUSALS: dict[int, str] = {
    5: "access denied: {user} may not control services on {host}; it needs to be a member of the local "
       "Administrators group there (Remote Management Users may connect but not start or stop services)",
    1051: "Windows refused to stop {service} because other running services depend on it (error 1051); "
          "stop the dependent services first (sc enumdepend {service} lists them), then this one",
    1053: "{service} did not answer the Service Control Manager in time (error 1053): it hangs while starting "
          "or stopping; read its log on {host} before trying again",
    1058: "{service} is disabled on {host} (error 1058); set its start type (sc config {service} start= demand) "
          "before starting it",
    1060: "no service named {service} is installed on {host} (error 1060); check windows_service in the inventory",
}
# What a program says when an allocation fails: PowerShell/.NET, Win32 errors 8, 14 and 1455 (en and zh-CN).
_OUT_OF_MEMORY = re.compile(
    r"OutOfMemoryException|paging file is too small|页面文件太小|Not enough (?:storage|memory resources) is "
    r"available|存储空间不足|内存资源不足|insufficient memory", re.IGNORECASE)
_SC_FAILED = re.compile(r"\[SC\]\s+\w+\s+(?:失败|FAILED)\s+(\d+)", re.IGNORECASE)
_NET_ERROR = re.compile(r"(?:发生系统错误|System error)\s+(\d+)", re.IGNORECASE)


def sc_refusal(exit_code: int | None, output: str, *, service: str, host: str, user: str) -> str | None:
    """Why a service control command cannot succeed however long one waits, or None.

    ``sc`` exits with the Win32 error; ``net`` exits 2 and prints "System error N" (发生系统错误 N).
    """
    code: int | None = None
    match = _SC_FAILED.search(output) or _NET_ERROR.search(output)
    if match:
        code = int(match.group(1))
    elif exit_code in SC_REFUSALS:
        code = exit_code
    if code is None or code not in SC_REFUSALS:
        return None
    return SC_REFUSALS[code].format(service=service, host=host, user=user)


def out_of_shell_memory(output: str, host: str) -> str | None:
    """Why a WinRM command failed for want of memory, or None.

    WinRM runs a remote shell's processes in a job limited to MaxMemoryPerShellMB; past it an
    allocation fails and the program reports running out of memory (PowerShell:
    System.OutOfMemoryException). Nothing names the quota, so otcctl does.
    """
    if not _OUT_OF_MEMORY.search(output):
        return None
    return (f"the command ran out of memory on {host}: WinRM caps the memory of everything one remote shell runs "
            "(MaxMemoryPerShellMB: 150 MB by default on WinRM 2.0, 1024 MB on 3.0) and the program failed past it; "
            f"'winrm get winrm/config/winrs' on {host} shows the limit. An administrator raises it with "
            "winrm set winrm/config/winrs @{MaxMemoryPerShellMB=\"1024\"} (with WMF 3.0 the Microsoft.PowerShell "
            "plugin's own quota too), or the step must keep less in memory (read files with Select-String "
            "instead of holding them in a variable)")


def is_local_account(user: str, computer_name: str | None = None) -> bool:
    """``.\\name``, ``COMPUTER\\name`` or a bare name: a local account, to which UAC's remote rules apply."""
    domain, _, name = user.rpartition("\\")
    if not domain:
        return "@" not in name
    return domain == "." or (computer_name is not None and domain.upper() == computer_name.split(".")[0].upper())


def rejected_message(where: str, user: str, auth: str, label: str, computer_name: str | None = None) -> str:
    """The HTTP 401 paragraph: wrong password for a domain account; also UAC for a local one."""
    if auth == "kerberos":
        return (f"{where} rejected the Kerberos ticket of {user}: run kinit for that principal, check the clock "
                "(more than 5 minutes apart fails) and that the host is addressed by the name in its SPN")
    if is_local_account(user, computer_name):
        return (f"{where} rejected {user} (HTTP 401). Either the password is wrong, or, as {user} is a local "
                f"account, Windows' UAC remote restrictions refuse it: only the built-in Administrator may use "
                f"WinRM as a local administrator. Fix one of: use a domain account in the inventory's user for "
                f"{label}; or on {label} set the registry value HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
                "\\Policies\\System LocalAccountTokenFilterPolicy (DWORD) to 1 (site security must agree); "
                "and check the password")
    return (f"{where} rejected the credentials of {user} ({auth}, HTTP 401): wrong password, or a locked or "
            "expired account; check the password in the inventory's credential and that the account can log on")


def access_denied_message(where: str, user: str, label: str) -> str:
    """WS-Management fault 5 on opening a shell: authenticated, but not allowed to use WinRM."""
    return (f"{where}: {user} logged in (the password is right) but is not allowed to use WinRM's command "
            f"shell (Access is denied, WS-Management fault 5). On {label}, add {user} to the local Administrators "
            "group, or grant it in WinRM's RootSDDL (winrm configSDDL default, Execute); membership of "
            "Remote Management Users alone is not enough for the cmd shell")


QUOTA_LIMIT = 2150859173  # WS-Management's QuotaLimit fault (0x803381A5)


def quota_message(where: str, user: str, label: str, reason: str) -> str:
    """A shell quota reached (WinRM 2.0 allows 5 shells per user): who holds them, what to raise."""
    return (f"{where} refused a new shell for {user}: {reason} Other sessions of {user} (another otcctl, a "
            f"PowerShell remoting session) hold them; close those, or on {label} raise the quota: winrm set "
            "winrm/config/winrs @{MaxShellsPerUser=\"10\"} (WinRM 2.0's default is 5)")


@dataclass(frozen=True)
class PresentedCertificate:
    """What a host's TLS certificate says about itself."""

    subject: str
    names: tuple[str, ...]
    issuer: str
    self_signed: bool
    sha1: str
    sha256: str


def presented_certificate(address: str, port: int, timeout: float = 5.0) -> PresentedCertificate | None:
    """The certificate the host presents, read without trusting it (None when it cannot be read)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw, \
                context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    if not der:
        return None
    certificate = x509.load_der_x509_certificate(der)
    names: list[str] = []
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names += [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return PresentedCertificate(
        subject=certificate.subject.rfc4514_string(),
        names=tuple(names),
        issuer=certificate.issuer.rfc4514_string(),
        self_signed=certificate.issuer == certificate.subject,
        sha1=certificate.fingerprint(hashes.SHA1()).hex().upper(),
        sha256=certificate.fingerprint(hashes.SHA256()).hex().upper(),
    )


def tls_message(where: str, label: str, error: str, presented: PresentedCertificate | None,
                checked_name: str) -> str:
    """The paragraph for a refused certificate: name mismatch, unknown CA, expiry, or other."""
    lowered = error.lower()
    shown = (f"The certificate is issued to {', '.join(presented.names) or presented.subject} by "
             f"{'itself' if presented.self_signed else presented.issuer} (SHA-1 thumbprint {presented.sha1}, as "
             "Windows shows it in Cert:\\LocalMachine\\My)") if presented else "The certificate could not be read"
    if "mismatch" in lowered or "doesn't match" in lowered or "not valid for" in lowered:
        name = presented.names[0] if presented and presented.names else "THE-NAME-ON-THE-CERTIFICATE"
        return (f"{where}: the TLS certificate does not name {checked_name}, the name otcctl checked. {shown}. "
                f"Fix: in the inventory, under {label}'s winrm settings, set server_name: {name} (otcctl "
                "keeps connecting to the address and checks the certificate against that name); or have the "
                f"site issue a certificate that names {checked_name}")
    if "expired" in lowered or "not yet valid" in lowered:
        return f"{where}: the TLS certificate is outside its validity period ({error}). {shown}. The site must renew it"
    if any(word in lowered for word in ("self-signed", "self signed", "local issuer", "unable to verify",
                                        "unknown ca")):
        ca = ("the host's own certificate (it is self-signed): export it on the host with "
              "Export-Certificate from Cert:\\LocalMachine\\My, converted to PEM"
              if presented and presented.self_signed else
              f"the certificate of the CA that issued it ({presented.issuer if presented else 'ask the site'})")
        also = ""
        if presented and presented.names and checked_name.lower() not in (n.lower() for n in presented.names):
            also = f"; it does not name {checked_name} either, so also set server_name: {presented.names[0]}"
        return (f"{where}: the TLS certificate was not accepted: it is signed by a CA otcctl does not trust "
                f"(only the system's CA store and the inventory's ca_bundle are trusted). {shown}. Fix: save "
                f"{ca} as a PEM file and set ca_bundle: /path/to/that.pem under {label}'s winrm settings{also}; "
                "compare the thumbprint above with the one on the host before trusting it")
    return f"{where}: the TLS certificate was not accepted ({error}). {shown}"
