import pytest

from adapters.changes import classify


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("src/checkout/api.py", "code"),
        ("web/src/App.tsx", "code"),
        ("db/migrations/0042_add_column.py", "migration"),
        ("services/checkout/migrations/001_init.sql", "migration"),
        ("db/migrate/20260301_add_index.rb", "migration"),
        ("requirements.txt", "dependency"),
        ("services/api/requirements-prod.txt", "dependency"),
        ("package-lock.json", "dependency"),
        ("go.sum", "dependency"),
        ("Cargo.lock", "dependency"),
        ("config/checkout.yaml", "config"),
        ("src/settings.py", "config"),
        ("helm/checkout/values.yaml", "infrastructure"),
        ("infra/main.tf", "infrastructure"),
        ("Dockerfile", "infrastructure"),
        (".github/workflows/deploy.yml", "infrastructure"),
        ("./k8s/deployment.yaml", "infrastructure"),
        ("docs/runbook.md", "docs"),
        ("README.md", "docs"),
        ("tests/test_api.py", "tests"),
        ("src/api_test.go", "tests"),
        ("src/components/Button.test.tsx", "tests"),
        ("flags/checkout.json", "feature_flag"),
        ("config/feature_flags.yaml", "feature_flag"),
    ],
)
def test_classify(path, category):
    assert classify(path) == category
