"""Evaluate a saved checkpoint: ``python eval.py ckpt_path=RUN/checkpoints/best.ckpt``. See README.md."""

from aihub_bench.evaluate import main

if __name__ == "__main__":
    main()
