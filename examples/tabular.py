"""A table as exports come, end to end: examples/data/customers.csv.gz is gzip, Latin-1 and
separated by semicolons, has a customer id, ages with empty and "NA" cells, a city column of text
with gaps and a plan; about one customer in three renewed.

glassnet reads it as it is (the separator found from the header, the encoding given), imputes
the ages with their median and a missing flag, one-hot encodes city and plan, weighs the rarer
answer up (--class-weight balanced), keeps the best validation epoch, and says each of these as
it does it. Then, from Python, the saved model answers a DataFrame whose columns come in another
order, with a city it never saw; and the columns are ranked by permutation importance.

Run: .venv/bin/python examples/tabular.py
"""

import tempfile
from pathlib import Path

import pandas

from glassnet.cli import main
from glassnet.tabular import TabularModel

DATA = Path(__file__).resolve().parent / "data" / "customers.csv.gz"

with tempfile.TemporaryDirectory() as folder:
    model_path = str(Path(folder) / "customers.safetensors")
    status = main(["train", str(DATA), "--target", "renewed", "--id", "customer",
                   "--encoding", "latin-1", "--class-weight", "balanced",
                   "--metrics", "accuracy,balanced_accuracy,f1", "--verbose", "0",
                   "--out", model_path])
    if status != 0:
        raise SystemExit(status)

    model = TabularModel.load(model_path)
    new_customers = pandas.DataFrame({
        "plan": ["pro", "basic", "plus"],
        "city": ["Zürich", "Oslo", None],  # Oslo is new to the model; None is a missing cell
        "income": [71.0, 35.5, 52.0],
        "age": [44, None, 29],
    })
    print("\nNew customers, columns in another order:")
    print(new_customers.to_string(index=False))
    print("renews:", model.predict(new_customers).tolist())  # and a warning naming 'Oslo'
    print("P(yes):", model.predict_proba(new_customers)[:, 1].round(3).tolist())

    print()
    main(["importance", model_path, str(DATA), "--encoding", "latin-1", "--repeats", "5"])
