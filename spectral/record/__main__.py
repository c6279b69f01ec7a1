"""`python -m spectral.record <record> <command> ...`: one command line for
every record.

    python -m spectral.record study status|run|summarize      # the first laptop study
    python -m spectral.record robustness status|run|throughput|preregister
    python -m spectral.record claims                          # every verdict, one line each
    python -m spectral.record paper status|run|pack|unpack    # the paper-scale (GPU) record

The historical commands (`python -m spectral.study`, `spectral.robustness`,
`spectral.claims`, `spectral.paper_record`) run the same code.
"""

import sys

RECORDS = ("study", "robustness", "claims", "paper")


def main(argv=None):
    """Dispatches to the record's own command line; returns its status."""
    from spectral.record import cli

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in RECORDS:
        print(__doc__, file=sys.stderr if argv else sys.stdout)
        return 2 if argv else 0
    record, rest = argv[0], argv[1:]
    if record == "paper":
        from spectral import paper_record

        return paper_record.main(rest)
    return {"study": cli.main, "robustness": cli.robustness_main,
            "claims": cli.claims_main}[record](rest)


if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
