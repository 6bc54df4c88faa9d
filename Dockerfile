# aihub_bench on a CUDA machine: the project installed the README's way, train.py as the entry.
#   docker build -t aihub-bench .
#   docker run --gpus all --shm-size=8g -v /data/xray:/data/xray -v "$PWD/logs:/workspace/aihub_bench/logs" \
#       aihub-bench experiment=xray_maskrcnn dataset.root=/data/xray trainer=gpu
# Other commands: docker run --rm --entrypoint aihub-bench aihub-bench regress --tier smoke
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# python3-venv: Ubuntu 24.04's system Python is externally managed (PEP 668), so the project gets a venv;
# libglib2.0-0: OpenCV (human-motion videos); git: the commit recorded in env.json (when .git is mounted)
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv git libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /workspace/aihub_bench
# the package first, so that editing docs or scripts does not re-install PyTorch
COPY pyproject.toml setup.py README.md ./
COPY aihub_bench ./aihub_bench
COPY configs ./configs
COPY train.py eval.py ./
# the README's install (the PyPI torch wheel carries its own CUDA runtime)
RUN pip install -e .
COPY scripts ./scripts
COPY docs ./docs

ENTRYPOINT ["python", "train.py"]
CMD ["experiment=xray_maskrcnn", "trainer=gpu"]
