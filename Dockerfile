# Accord hub image: a wheel install under a non-root user, served by gunicorn.
# The same commands the README documents: `accord db upgrade`, `accord serve`, `accord scheduler`.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY platform ./platform
COPY feeds ./feeds
COPY exercises ./exercises
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ACCORD_INSTANCE_PATH=/var/lib/accord
RUN useradd --system --uid 10001 --home-dir /var/lib/accord --create-home accord
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER accord
WORKDIR /var/lib/accord
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
CMD ["accord", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
