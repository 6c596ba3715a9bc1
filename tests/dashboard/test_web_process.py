"""The web process stays light: no torch (so no CUDA), no scanpy, and none of scikit-learn, scipy.stats or
matplotlib until a page needs them (~80 MB in each worker); training and QC run in their own processes."""

import subprocess
import sys
from pathlib import Path


def test_creating_the_app_imports_neither_torch_nor_scanpy(tmp_path):
    code = ("import sys; from dashboard.app import create_app; "
            f"create_app({{'RESULTS_DIR': r'{tmp_path}/res', 'CACHE_DIR': r'{tmp_path}/c', 'DB_PATH': r'{tmp_path}/db',"
            f" 'UPLOAD_DIR': r'{tmp_path}/up'}}); "
            "print(sorted(m for m in ('torch', 'scanpy', 'captum', 'umap', 'sklearn', 'scipy.stats', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip().splitlines()[-1] == "[]"
