# One image for web, worker and migrate. Build: docker compose build
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contactcenter ./contactcenter
COPY workers ./workers
COPY sql ./sql
COPY config ./config
# Editable install keeps sql/ and config/ next to the package, where the code looks for them.
RUN pip install -e . && useradd --system --uid 10001 cc
USER cc
EXPOSE 8080
CMD ["contactcenter", "serve", "--host", "0.0.0.0", "--port", "8080"]
