"""The moto version the patches were written for, checked before anything of moto is patched.

Every extension here reaches into moto's internals (backends, models, response classes), which
change between releases without notice. A patch that silently stops applying would make the
emulator kinder than AWS again, so the emulator refuses to start on any other version.
"""
import sys

# requirements.txt pins the same version.
EXPECTED_MOTO = "5.2.5"


def installed_moto():
    """The version of the moto package that `import moto` loads."""
    import moto

    return getattr(moto, "__version__", "unknown")


def check(installed=None, expected=EXPECTED_MOTO):
    """Exits with status 3 and a message on stderr unless moto is the expected version."""
    installed = installed if installed is not None else installed_moto()
    if installed != expected:
        sys.stderr.write(
            f"wl_emulator: moto {installed} is installed, but these patches were written for moto {expected}; "
            f"refusing to start. Run localstack/install (it installs the pinned version), or port the patches "
            f"to moto {installed} and change EXPECTED_MOTO in localstack/wl_emulator/version.py.\n"
        )
        raise SystemExit(3)
    return installed
