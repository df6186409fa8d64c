"""``python -m ml``: the domain layer's command line. Each command lives in ``ml/cli/``."""

from ml.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
