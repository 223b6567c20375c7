"""python -m wl_emulator -H 127.0.0.1 -p PORT: moto server with wl-infra's extensions."""
import sys

from . import install


def main(argv=None):
    install()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
