"""Train (and test) a model: ``python train.py dataset=xray model=maskrcnn``. See README.md."""

from aihub_bench.train import main

if __name__ == "__main__":
    main()
