"""Classify changed files by what kind of change they carry, from the path alone.

Every change source (a local clone, the GitHub compare API, the replay adapter) uses this one
function, so a file is the same kind of change wherever it came from. The order of the rules
matters: the first rule that matches wins, most specific first (a migration under ``src/`` is a
migration, a test of the config loader is a test).
"""

from __future__ import annotations

import re
from fnmatch import translate
from functools import lru_cache
from pathlib import PurePosixPath

from adapters.models import FileCategory

_DEPENDENCY_FILES = {
    "requirements.txt",
    "requirements-dev.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "pipfile",
    "pipfile.lock",
    "setup.py",
    "setup.cfg",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.mod",
    "go.sum",
    "cargo.toml",
    "cargo.lock",
    "gemfile",
    "gemfile.lock",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "gradle.lockfile",
    "composer.json",
    "composer.lock",
    "mix.exs",
    "mix.lock",
    "packages.lock.json",
    "directory.packages.props",
}
_RULES: list[tuple[FileCategory, tuple[str, ...]]] = [
    (
        "migration",
        (
            "*/migrations/*",
            "migrations/*",
            "*/migrate/*",
            "db/migrate/*",
            "*/alembic/versions/*",
            "*/flyway/*",
            "*.sql",
        ),
    ),
    (
        "tests",
        (
            "tests/*",
            "test/*",
            "*/tests/*",
            "*/test/*",
            "*_test.*",
            "test_*.*",
            "*.test.*",
            "*.spec.*",
            "*/__tests__/*",
            "spec/*",
        ),
    ),
    ("docs", ("docs/*", "doc/*", "*.md", "*.rst", "*.adoc", "*.txt", "license*", "changelog*")),
    (
        "feature_flag",
        (
            "*flags/*",
            "*feature-flags*",
            "*feature_flags*",
            "*featureflags*",
            "*/flags.*",
            "flags.*",
            "*launchdarkly*",
            "*unleash*",
        ),
    ),
    (
        "infrastructure",
        (
            "*.tf",
            "*.tfvars",
            "*.hcl",
            "terraform/*",
            "*/terraform/*",
            "k8s/*",
            "*/k8s/*",
            "kubernetes/*",
            "helm/*",
            "*/helm/*",
            "charts/*",
            "*/charts/*",
            "*/templates/*.yaml",
            "dockerfile",
            "*/dockerfile",
            "*.dockerfile",
            "docker-compose*.yml",
            "docker-compose*.yaml",
            ".github/workflows/*",
            "deploy/*",
            "*/deploy/*",
            "ansible/*",
            "*/kustomization.yaml",
            "pulumi.*",
        ),
    ),
    (
        "config",
        (
            "*.yaml",
            "*.yml",
            "*.json",
            "*.toml",
            "*.ini",
            "*.cfg",
            "*.conf",
            "*.properties",
            "*.env",
            ".env*",
            "config/*",
            "*/config/*",
            "settings/*",
            "*/settings.py",
            "settings.py",
        ),
    ),
]


# One compiled regex per category (full path or file name), instead of ~70 fnmatch calls per path.
_COMPILED = [(category, re.compile("|".join(translate(p) for p in patterns))) for category, patterns in _RULES]


@lru_cache(maxsize=65536)
def classify(path: str) -> FileCategory:
    """The kind of change a file carries: code, config, dependency, infrastructure, migration, ..."""
    lowered = path.strip().removeprefix("./").lower()
    name = PurePosixPath(lowered).name
    if name in _DEPENDENCY_FILES or re.fullmatch(r"requirements[-_\w]*\.(txt|in)", name):
        return "dependency"
    for category, pattern in _COMPILED:
        if pattern.match(lowered) or pattern.match(name):
            return category
    return "code"
