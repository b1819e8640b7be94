# Sourced by scripts/demo and scripts/test: makes sure the system libraries (OpenBLAS; SQLite for the
# run catalog) and a Swift toolchain are present, installing them with apt-get when they are missing.
ensure_deps() {
  if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH. Install Swift 6.1 or later (https://www.swift.org/install) and retry." >&2
    exit 1
  fi
  if ! pkg-config --exists openblas 2>/dev/null || ! pkg-config --exists sqlite3 2>/dev/null; then
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "error: libopenblas-dev or libsqlite3-dev is missing and this user cannot install them." >&2
        echo "       Ask an administrator to run: apt-get install -y libopenblas-dev libsqlite3-dev pkg-config" >&2
        exit 1
      fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
      echo "error: libopenblas-dev or libsqlite3-dev is missing and apt-get is not available; install OpenBLAS (with pkg-config file 'openblas') and SQLite 3's headers by hand." >&2
      exit 1
    fi
    echo "Installing libopenblas-dev (OpenBLAS) and libsqlite3-dev (SQLite) with apt-get…" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq libopenblas-dev libsqlite3-dev pkg-config >/dev/null; }; then
      echo "error: apt-get could not install them; install by hand: apt-get install -y libopenblas-dev libsqlite3-dev pkg-config" >&2
      exit 1
    fi
  fi
  # Keep OpenBLAS single-threaded: Kindred's Dispatch workers own the cores.
  export OPENBLAS_NUM_THREADS=1
}
