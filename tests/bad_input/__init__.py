"""The bad-input corpus: per dataset, a small twin and a list of faults written into copies of it.

Each module ``tests/bad_input/<dataset>.py`` defines::

    DATASET: str                                   # registry-style name, e.g. "xray"
    def write_twin(root: Path) -> None             # a small, deterministic twin in the real layout
    def read(root: Path, on_error: str) -> Outcome # run the dataset's reader the way the datamodule does
    FAULTS: list[Fault]

``tests/test_bad_input_corpus.py`` runs every fault in raise mode (the error names the file and
the reason, with the expected kind) and in skip mode (the reason is counted, and exactly the
expected number of units -- images, cases, frames, pairs -- is dropped compared with the clean
twin).
"""
