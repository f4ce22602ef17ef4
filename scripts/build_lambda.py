"""Build the Lambda deployment zip: ``python scripts/build_lambda.py [--arch arm64|x86_64]``.

Runtime dependencies come as manylinux2014 wheels for the target (``--only-binary=:all:``),
so no wheel needs a newer glibc than Lambda has, and nothing is compiled for this machine.
The zip ships bytecode only: each module as a sourceless ``.pyc`` compiled by the target's
Python version in place of its ``.py`` (Lambda's code directory is read-only, so bytecode
beside sources would only be checked against them at every cold start, and the sources
double the size). Third-party bytecode is compiled without docstrings (``-OO``); the app's
keeps them (its OpenAPI document is written in them), and the fingerprint of the rendering
code (:func:`cms.content.publish.code_digest`) is computed from the sources here and shipped
as a file. Native libraries lose their debug sections (``llvm-strip``, or binutils' ``strip``
for the target), which halves the zip. Left out: tests, dev tools, the CLI (typer/rich,
alembic: run those from your machine), botocore/boto3 (the runtime has them), and parts no
code path imports (listed below; tests/aws/test_package.py serves requests, the admin's login
included, from the unpacked zip).
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["build", "main"]

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Not needed inside Lambda: the CLI and migrations run from a workstation or CI.
EXCLUDED_REQUIREMENTS = {"typer", "alembic"}
# Pulled in transitively by some packages but never imported by the app on Lambda.
EXCLUDED_TOP_LEVEL = {
    "boto3",
    "botocore",
    "s3transfer",
    "pip",
    "setuptools",
    "wheel",
    "_pytest",
    "pytest",
    "typer",
    "rich",
    "alembic",
    "mako",
    "pygments",
    # email-validator's deliverability check (DNS) is never asked for: pydantic checks syntax.
    "dns",
    "dnspython",
    # python-jose's pure-Python backends: it uses cryptography's when installed. And six, which
    # only ecdsa needs.
    "ecdsa",
    "rsa",
    "six",
    # cffi's C parser: the argon2 bindings are compiled out-of-line, nothing is parsed at run time.
    "pycparser",
}
# Parts of packages the app never imports (checked by tests/lambda/test_package.py, which
# imports the handler from the zip and serves requests with it).
PRUNED_PATHS = [
    "sqlalchemy/testing",
    "sqlalchemy/dialects/mssql",
    "sqlalchemy/dialects/mysql",
    "sqlalchemy/dialects/oracle",
    "sqlalchemy/ext/mypy",
    # SQLAlchemy's extensions nothing imports (the app, SQLModel and SQLAdmin use its asyncio
    # one only), the ODBC connectors of the dialects left out above, and the dialects' test
    # provisioning (it imports sqlalchemy.testing). The other PostgreSQL and SQLite drivers'
    # modules stay: the dialect packages import them all at import time.
    *(
        f"sqlalchemy/ext/{name}.py"
        for name in (
            "associationproxy automap baked compiler horizontal_shard hybrid indexable "
            "instrumentation mutable orderinglist serializer"
        ).split()
    ),
    "sqlalchemy/ext/declarative",
    "sqlalchemy/connectors/aioodbc.py",
    "sqlalchemy/connectors/pyodbc.py",
    "sqlalchemy/dialects/*/provision.py",
    # SQLAlchemy's Cython builds of eight modules whose pure-Python sources ship beside them
    # (2.1 falls back to those): measured, no difference on the admin login's cold start or on
    # an admin save (seed size, and with 1,000 work entries rendered), for 0.43 MB zipped.
    "sqlalchemy/*/_*_cy.*.so",
    "aws_lambda_powertools/event_handler",
    "aws_lambda_powertools/utilities/*",
    # Pillow: the app reads JPEG, PNG and WebP and writes WebP: no AVIF, no fonts, no other
    # formats' plugins (Image.init() skips a plugin it cannot import).
    "PIL/_avif.*",
    "PIL/_imagingft.*",
    "PIL/_imagingtk.*",
    "pillow.libs/libavif*",
    "pillow.libs/libfreetype*",
    "pillow.libs/libharfbuzz*",
    "pillow.libs/libbrotli*",
    "pillow.libs/libpng*",
    *(
        f"PIL/{name}ImagePlugin.py"
        for name in (
            "Avif Blp Bufr Cur Dcx Dds Eps Fits Fli Ftex Gbr Grib Hdf5 Icns Ico Im Imt "
            "Mcidas Mic Msp Palm Pcd Pcx Pixar Psd Qoi Sgi Spider Sun Tga Wmf Xbm Xpm Xvthumb"
        ).split()
    ),
    # pydantic's v1 compatibility layer, passlib's other hashes and helpers (argon2 only), and
    # the ASN.1 modules of RFCs other than X.509's (passkeys' Android attestation).
    "pydantic/v1",
    "passlib/ext",
    "passlib/_data",
    "passlib/apache.py",
    "passlib/apps.py",
    "passlib/hosts.py",
    "passlib/pwd.py",
    "passlib/totp.py",
    "passlib/handlers/*.py",
    "pyasn1_modules/rfc*.py",
    # cbor2's C speedups: its pure-Python decoder reads the few passkey attestations.
    "_cbor2.*",
    # Pillow: drawing text and writing PDFs (its text module's C part is left out above).
    "PIL/ImageFont.py",
    "PIL/PdfImagePlugin.py",
    "PIL/PdfParser.py",
    # SQLAdmin's web fonts no page uses: every icon of the back office is Font Awesome's
    # solid style ("fa-solid", "fa"); the Tabler icon font, FA's brands and regular styles are
    # never requested (a browser fetches a font only for glyphs that use it). And its catalogues'
    # sources (the compiled .mo files are what it reads).
    "sqladmin/statics/webfonts/tabler-icons.woff2",
    "sqladmin/statics/webfonts/fa-brands-400.woff2",
    "sqladmin/statics/webfonts/fa-regular-400.woff2",
    "sqladmin/translations/*.pot",
    "sqladmin/translations/*/LC_MESSAGES/*.po",
    # pydantic's mypy plugin.
    "pydantic/mypy.py",
    # cffi's compiler: the argon2 bindings are compiled out-of-line and load with
    # _cffi_backend alone (kept, with cffi's licence); their build script and pyOpenSSL's
    # version report are the only importers of cffi.
    "cffi",
    "_argon2_cffi_bindings/_ffi_build.py",
    "OpenSSL/debug.py",
    # passlib's ciphers and digests for the hashes left out above (bcrypt, DES crypt, scrypt,
    # NT hash): argon2 uses none of them.
    "passlib/crypto/_blowfish",
    "passlib/crypto/scrypt",
    "passlib/crypto/des.py",
    "passlib/crypto/_md4.py",
    "passlib/utils/des.py",
    "passlib/utils/md4.py",
    "passlib/utils/pbkdf2.py",
    # Pillow's modules nothing imports: math and morphology ops (with their C parts), the
    # GUI and screen grabbing ones, bitmap fonts (ImageFont is left out), PostScript drawing.
    *(
        f"PIL/{name}.py"
        for name in (
            "ImageMath ImageMorph ImageTk ImageQt ImageGrab ImageWin ImageShow ImageDraw2 "
            "PSDraw _tkinter_finder BdfFontFile PcfFontFile FontFile GdImageFile WalImageFile"
        ).split()
    ),
    "PIL/_imagingmath.*",
    "PIL/_imagingmorph.*",
    # anyio's and httpcore's trio backends (trio is not installed; anyio's pytest plugin
    # neither), and httpcore's HTTP/2 and SOCKS modules: they import h2 and socksio, not
    # installed, so httpcore's fallback classes load either way.
    "anyio/_backends/_trio.py",
    "anyio/pytest_plugin.py",
    "httpcore/_backends/trio.py",
    "httpcore/_async/http2.py",
    "httpcore/_sync/http2.py",
    "httpcore/_async/socks_proxy.py",
    "httpcore/_sync/socks_proxy.py",
    # asyncpg's test helpers (a local PostgreSQL cluster), jsonschema's benchmarks and command
    # line, Babel's message extraction tools (the app only reads .po catalogs), segno's man
    # page, and the packages' `python -m` entry points.
    "asyncpg/_testbase",
    "asyncpg/cluster.py",
    "jsonschema/benchmarks",
    "jsonschema/cli.py",
    "babel/messages/frontend.py",
    "babel/messages/extract.py",
    "babel/messages/jslexer.py",
    "babel/messages/setuptools_frontend.py",
    "share",
    "*/__main__.py",
]
KEPT_PATHS = {
    "passlib/handlers/__init__.py",
    "passlib/handlers/argon2.py",
    "pyasn1_modules/rfc5280.py",
    "aws_lambda_powertools/utilities/__init__.py",
    "aws_lambda_powertools/utilities/typing",
    "aws_lambda_powertools/utilities/jmespath_utils",
}
APP_PATHS = ["lambda_handler.py", "cms", "templates", "static"]
APP_LEFT_OUT = ["cms/cli", "cms/migrations"]
"""The command line and the migrations run from a workstation or CI (typer and alembic are
not shipped)."""
APP_PACKAGES = {"cms", "lambda_handler.py"}
"""Compiled with their docstrings: FastAPI's OpenAPI document reads the routes' ones."""
DIGEST_FILE = "cms/content/rendering.digest"
DEFAULT_LOCALES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")
"""The locales whose Babel data ships unless ``--locales`` says otherwise (``all``: every
locale); a regional tag (``de-AT``, ``pt-BR``) must be named to ship."""
STRIPPERS = {"arm64": "aarch64-linux-gnu-strip", "x86_64": "x86_64-linux-gnu-strip"}


def _requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    keep = []
    for requirement in project["dependencies"]:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()
        if name not in EXCLUDED_REQUIREMENTS:
            keep.append(requirement)
    return keep


def _find_python(version: str) -> str:
    """An interpreter of ``version`` (e.g. ``3.12``) to compile bytecode with."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")))
    candidates.append(shutil.which(f"python{version}") or "")
    for candidate in candidates:
        # pyenv shims exist for versions that are not active: check that it really runs.
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    raise SystemExit(
        f"No Python {version} found to compile .pyc files for the Lambda runtime; install one "
        f"(e.g. `pyenv install {version}`) or pass --python-version matching this interpreter."
    )


def _prune(target: Path) -> None:
    for name in EXCLUDED_TOP_LEVEL:
        for path in target.glob(name):
            shutil.rmtree(path, ignore_errors=True)
        (target / f"{name}.py").unlink(missing_ok=True)  # a single-module distribution
        for info in target.glob(f"{name}-*.dist-info"):
            shutil.rmtree(info, ignore_errors=True)
    for pattern in PRUNED_PATHS:
        for path in target.glob(pattern):
            if path.relative_to(target).as_posix() in KEPT_PATHS:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    for pattern in (
        "**/__pycache__",
        "**/tests",
        "**/*.pyi",
        "**/*.pyx",
        "**/*.pxd",
        "**/*.c",
        "**/*.h",
        "**/*.cpp",
        "**/*.hpp",
        "**/py.typed",
        "bin",
    ):
        for path in target.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
    for info in target.glob("*.dist-info"):
        _trim_metadata(info)


def _trim_metadata(info: Path) -> None:
    """Keep what ``importlib.metadata`` reads (version, entry points) and the licences.

    ``RECORD`` lists hashes of files pruned here (a lie once pruned); ``METADATA`` keeps its
    headers and loses its body, the project's README; SBOMs, ``INSTALLER``, ``REQUESTED`` and
    ``WHEEL`` are pip's bookkeeping.
    """
    for name in ("RECORD", "INSTALLER", "REQUESTED", "WHEEL", "sboms"):
        path = info / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    metadata = info / "METADATA"
    if metadata.is_file():
        headers, _, _ = metadata.read_text(encoding="utf-8").partition("\n\n")
        metadata.write_text(headers + "\n", encoding="utf-8")


_READ_LOCALES = """
import sys
sys.path.insert(0, sys.argv[1])
from babel import Locale, UnknownLocaleError
opened = []
sys.addaudithook(lambda event, args: event == "open" and opened.append(str(args[0])))
for tag in sys.argv[2:]:
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        sys.exit(f"--locales: Babel has no locale data for {tag!r}")
    locale.get_display_name(locale)
print("\\n".join(path for path in opened if path.endswith(".dat")))
"""
"""Loads each locale with the zip's Babel and prints the locale files it opened: the locale's
own and its parents' up to ``root``, as Babel chains them (``en_GB`` → ``en_001`` → ``en``)."""


def _prune_locales(target: Path, locales: Sequence[str] | None) -> None:
    """Keep Babel's data for ``locales`` only: each tag's file and its parents' up to ``root``.

    ``de-AT`` keeps ``de_AT``, ``de`` and ``root``; ``en-GB`` also ``en_001``; ``de`` keeps no
    regional variant. ``en`` always ships: the app formats the dates of a locale it has no data
    for in English (:mod:`cms.content.localedata`). ``None`` keeps everything.
    """
    folder = target / "babel" / "locale-data"
    if locales is None or not folder.is_dir():
        return
    command = [sys.executable, "-I", "-S", "-B", "-c", _READ_LOCALES, str(target), "en", *locales]
    read = subprocess.run(command, capture_output=True, text=True, check=False)
    if read.returncode:
        raise SystemExit(read.stderr.strip().splitlines()[-1])
    kept = {Path(path).name for path in read.stdout.splitlines()}
    for path in folder.glob("*.dat"):
        if path.name not in kept:
            path.unlink()


def _copy_app(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", ".DS_Store")
    for relative in APP_PATHS:
        source = ROOT / relative
        if source.is_dir():
            shutil.copytree(source, target / relative, ignore=ignore, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, target / relative)
    for relative in APP_LEFT_OUT:
        shutil.rmtree(target / relative, ignore_errors=True)


def _compile(target: Path, python: str) -> None:
    """Each module's bytecode in place of its source: sourceless ``.pyc`` files.

    Python imports ``name.pyc`` found where ``name.py`` would be when there is no source.
    Third-party modules are compiled with ``-OO`` (no docstrings, no asserts).
    """
    app = [target / name for name in APP_PACKAGES]
    others = [
        path
        for path in target.iterdir()
        if path.name not in APP_PACKAGES and (path.is_dir() or path.suffix == ".py")
    ]
    command = [python, "-m", "compileall", "-q", "-b", "-j", "0"]
    subprocess.run([*command, *map(str, app)], check=True)
    subprocess.run([*command, "-o", "2", *map(str, others)], check=True)
    for source in target.rglob("*.py"):
        if source.with_suffix(".pyc").is_file():
            source.unlink()


def _stripper(arch: str) -> str | None:
    """A ``strip`` that can read the target's ELF files: llvm's, the cross one, or the host's."""
    host = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
    return (
        shutil.which("llvm-strip")
        or shutil.which(STRIPPERS[arch])
        or (shutil.which("strip") if host == arch else None)
    )


def _strip_debug(target: Path, arch: str) -> None:
    """Drop native libraries' debug sections and local symbols (most wheels ship them).

    A library whose loadable segments would no longer be page-aligned (what ``patchelf``, run by
    auditwheel on some wheels, leaves strip tools to trip over) is kept as it was.
    """
    tool = _stripper(arch)
    if tool is None:
        print(
            f"warning: no llvm-strip or {STRIPPERS[arch]}: native libraries keep their debug "
            "sections (Debian: apt-get install llvm, or binutils-aarch64-linux-gnu)",
            file=sys.stderr,
        )
        return
    for path in sorted(target.rglob("*.so*")):
        if not path.is_file() or path.open("rb").read(4) != b"\x7fELF":
            continue
        original = path.read_bytes()
        # Extension modules need only their dynamic symbols (.dynsym), which this keeps.
        subprocess.run([tool, "--strip-unneeded", str(path)], check=True)
        if not _loadable(path.read_bytes()):
            path.write_bytes(_blank_unloaded_sections(original))


def _blank_unloaded_sections(elf: bytes) -> bytes:
    """``elf`` with its debug sections and static symbol table zeroed, in place.

    For the libraries ``strip`` cannot rewrite (see :func:`_loadable`): nothing moves, so every
    segment stays where the loader expects it; the sections the loader never maps (no
    ``SHF_ALLOC``) become empty ``SHT_NOBITS`` ones, and their bytes zeros, which the zip
    compresses to almost nothing. The dynamic symbols (``.dynsym``) are mapped and kept.
    """
    number = int.from_bytes
    data = bytearray(elf)
    offset, size = number(data[0x28:0x30], "little"), number(data[0x3A:0x3C], "little")
    count, names_index = number(data[0x3C:0x3E], "little"), number(data[0x3E:0x40], "little")
    names = data[offset + names_index * size :][:size]
    strings = number(names[0x18:0x20], "little")
    for index in range(count):
        start = offset + index * size
        header = data[start : start + size]
        name_at = strings + number(header[0:4], "little")
        name = bytes(data[name_at : data.index(b"\0", name_at)])
        kind, flags = number(header[4:8], "little"), number(header[8:16], "little")
        at, length = number(header[0x18:0x20], "little"), number(header[0x20:0x28], "little")
        if flags & 0x2 or kind == 8 or not (name.startswith(b".debug") or name in _SYMBOLS):
            continue  # SHF_ALLOC (mapped), already SHT_NOBITS, or kept (.shstrtab, notes)
        data[at : at + length] = bytes(length)
        data[start + 4 : start + 8] = (8).to_bytes(4, "little")  # SHT_NOBITS
        data[start + 0x20 : start + 0x28] = bytes(8)  # size 0
    return bytes(data)


_SYMBOLS = {b".symtab", b".strtab"}


def _loadable(elf: bytes) -> bool:
    """Whether every loadable segment of a 64-bit little-endian ELF file can be mapped.

    The loader needs each ``PT_LOAD`` segment's file offset and address to agree modulo its
    alignment; otherwise: "ELF load command address/offset not page-aligned".
    """
    number = int.from_bytes
    offset, size, count = (number(elf[a:b], "little") for a, b in ((32, 40), (54, 56), (56, 58)))
    for index in range(count):
        header = elf[offset + index * size : offset + (index + 1) * size]
        kind, file_offset, address = (
            number(header[a:b], "little") for a, b in ((0, 4), (8, 16), (16, 24))
        )
        align = number(header[48:56], "little")
        if kind == 1 and align > 1 and file_offset % align != address % align:
            return False
    return True


def _write_digest(target: Path) -> None:
    """The rendering code's fingerprint, from the sources, for the pydantic the zip ships."""
    sys.path.insert(0, str(ROOT))
    from cms.content.publish import code_digest

    (info,) = target.glob("pydantic-*.dist-info")
    pydantic = info.name.removeprefix("pydantic-").removesuffix(".dist-info")
    (target / DIGEST_FILE).write_text(code_digest(pydantic).hex() + "\n", encoding="ascii")


def build(
    arch: str,
    python_version: str,
    output: Path,
    *,
    pyc: bool = True,
    locales: Sequence[str] | None = DEFAULT_LOCALES,
) -> Path:
    """Build the zip for ``arch`` and Python ``python_version`` at ``output``; return it.

    ``locales``: the locales whose Babel data is shipped (``None``: all of them).
    """
    if arch not in PLATFORMS:
        raise SystemExit(f"--arch must be one of {', '.join(PLATFORMS)}")
    with tempfile.TemporaryDirectory(prefix="cms-lambda-") as workdir:
        target = Path(workdir) / "package"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(target),
                "--platform",
                PLATFORMS[arch],
                "--implementation",
                "cp",
                "--python-version",
                python_version,
                "--only-binary=:all:",
                "--upgrade",
                *_requirements(),
            ],
            check=True,
        )
        _prune(target)
        _prune_locales(target, locales)
        _copy_app(target)
        _strip_debug(target, arch)
        if pyc:
            _write_digest(target)
            _compile(target, _find_python(python_version))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.unlink(missing_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for path in sorted(target.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(target).as_posix())
    return output


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build, and print the zip's size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64")
    parser.add_argument(
        "--python-version", default="3.12", help="Lambda runtime's Python (python3.12 → 3.12)"
    )
    parser.add_argument("--output", type=Path, help="default: dist/lambda-ARCH.zip")
    parser.add_argument("--no-pyc", action="store_true", help="skip bytecode (slower cold starts)")
    parser.add_argument(
        "--locales",
        default=",".join(DEFAULT_LOCALES),
        help="locales whose Babel data ships (each with its parents), comma-separated, or "
        "'all' (default: %(default)s); every tag of the deployment's LOCALES must be among "
        "them, regional ones (de-AT, pt-BR) too",
    )
    args = parser.parse_args(argv)
    output = args.output or ROOT / "dist" / f"lambda-{args.arch}.zip"
    locales = None if args.locales == "all" else [t for t in args.locales.split(",") if t]
    build(args.arch, args.python_version, output, pyc=not args.no_pyc, locales=locales)
    with zipfile.ZipFile(output) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    size = output.stat().st_size
    print(
        f"{output}: {size / 1_000_000:.1f} MB zipped, {unpacked / 1_000_000:.1f} MB unpacked "
        f"({args.arch}, Python {args.python_version})"
    )


if __name__ == "__main__":
    main()
