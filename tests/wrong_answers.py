"""Plausible wrong answers, per assignment: each must lose points on the questions it names.

A case replaces answer cells (by nbgrader ``grade_id``) in the solution notebook;
``loses`` lists the graded test cells that must then score below full marks, each failing
with one of ``fails_with`` (an ``AssertionError`` by default: the test caught the mistake,
rather than a ``NameError`` that says the answer never ran). Every other graded question
must keep its points, unless ``keeps`` names the ones that must (a mistake whose effect
reaches later questions).
Every graded test cell of every assignment needs at least one case
(``test_every_graded_question_has_a_wrong_answer``). A case marked ``visible`` is a mistake the question's
own hints warn about: the visible tests (``scalingml check``) must catch it too, not only the hidden ones
(``tests/test_check.py::test_visible_tests_catch_the_mistakes_their_hints_name``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WrongAnswer:
    name: str
    answers: dict[str, str]
    loses: tuple[str, ...]
    keeps: tuple[str, ...] | None = None
    visible: bool = False
    fails_with: tuple[str, ...] = ("AssertionError",)


#: A correct ``parity_gaps`` (assignment 05, question 4), for cases whose mistake is in ``group_rates``.
_PARITY_GAPS = (
    "def parity_gaps(rates):\n"
    "    sel, tpr = rates['selection_rate'], rates['true_positive_rate']\n"
    "    return {'demographic_parity': float(sel.max() - sel.min()),\n"
    "            'equal_opportunity': float(tpr.max() - tpr.min())}\n\n"
    "rates = group_rates(y_test, decisions, groups)"
)

#: A correct ``group_rates`` (assignment 05, question 4), for cases whose mistake is in ``parity_gaps``.
_GROUP_RATES = (
    "def group_rates(y_true, y_pred, groups):\n"
    "    f = pd.DataFrame({'y': np.asarray(y_true), 'p': np.asarray(y_pred), 'g': np.asarray(groups)})\n"
    "    return pd.DataFrame({'selection_rate': f.groupby('g')['p'].mean(),\n"
    "                         'true_positive_rate': f[f['y'] == 1].groupby('g')['p'].mean()})\n\n"
)


def _parity_gaps(demographic_parity: str, equal_opportunity: str) -> str:
    """A q4 answer with a correct ``group_rates`` and the given expressions (of ``sel`` and ``tpr``) as gaps."""
    return (
        _GROUP_RATES + "def parity_gaps(rates):\n"
        "    sel, tpr = rates['selection_rate'], rates['true_positive_rate']\n"
        f"    return {{'demographic_parity': float({demographic_parity}),\n"
        f"            'equal_opportunity': float({equal_opportunity})}}\n\n"
        "rates = group_rates(y_test, decisions, groups)"
    )


def _surrogate_depth(depths: str) -> str:
    """A q5 answer that tries ``depths`` (an expression of ``max_depth``) instead of 1..max_depth."""
    return (
        "def surrogate_depth(model, X_fit, X_check, target, max_depth=10):\n"
        "    copied, reference = model.predict(X_fit), model.predict(X_check)\n"
        f"    for depth in {depths}:\n"
        "        tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X_fit, copied)\n"
        "        if np.mean(tree.predict(X_check) == reference) >= target:\n"
        "            return depth\n"
        "    return None"
    )


def _schema_01(extra: str = "", **columns: str) -> str:
    """An assignment 01 q1 answer: the correct schema with some columns' declarations replaced."""
    declared = {
        "customer_id": "pa.Column(int, unique=True)",
        "region": "pa.Column(str, pa.Check.isin(['north', 'south', 'east', 'west']))",
        "plan": "pa.Column(str, pa.Check.isin(['basic', 'standard', 'premium']))",
        "tenure_months": "pa.Column(float, pa.Check.in_range(0, 600))",
        "monthly_spend": "pa.Column(float, pa.Check.gt(0))",
        "support_tickets": "pa.Column(int, pa.Check.ge(0))",
        "satisfaction": "pa.Column(float, pa.Check.in_range(0, 10))",
        **columns,
    }
    body = "".join(f"    {name!r}: {rule},\n" for name, rule in declared.items())
    return "my_schema = pa.DataFrameSchema({\n" + body + "}" + extra + ")"


def _chunked_01(epochs: str = "3", features: str = "customer_features(frame)") -> str:
    """An assignment 01 q2 answer: the correct two-pass loop with ``epochs`` and a features expression of ``frame``."""
    return (
        "from sklearn.linear_model import SGDClassifier\n"
        "from sklearn.preprocessing import StandardScaler\n\n"
        "def train_in_chunks(folder):\n"
        "    scaler = StandardScaler()\n"
        "    for _, frame in datasets.read_partitions(folder):\n"
        f"        scaler.partial_fit(({features})[0])\n"
        "    model = SGDClassifier(loss='log_loss', average=True, random_state=0)\n"
        f"    for _ in range({epochs}):\n"
        "        for _, frame in datasets.read_partitions(folder):\n"
        f"            X, y = {features}\n"
        "            model.partial_fit(scaler.transform(X), y, classes=[0, 1])\n"
        "    return scaler, model"
    )


def _held_out_estimate(
    *, test_score: str = "model.score(X_test, y_test)", fit: str = "X_dev, y_dev", imports: str = ""
) -> str:
    """An assignment-02 q5 answer with the given test score expression (of ``model``, ``cv_score``) and refit rows."""
    return (
        "def held_out_estimate(X_dev, y_dev, X_test, y_test, depths, cv):\n"
        + imports
        + "    summary = overfitting.summarise_curve(\n"
        "        overfitting.complexity_curve(X_dev, y_dev, param_range=depths, cv=cv))\n"
        "    depth = choose_depth(summary)\n"
        "    cv_score = float(summary.loc[summary['param'] == depth, 'validation_mean'].iloc[0])\n"
        f"    model = DecisionTreeClassifier(max_depth=depth, random_state=0).fit({fit})\n"
        f"    return {{'depth': depth, 'cv_score': cv_score, 'test_score': {test_score}}}\n\n\n"
        "estimate = held_out_estimate(X_dev, y_dev, X_test, y_test, range(1, 13), profile.cv_folds)"
    )


WRONG_ANSWERS: dict[str, list[WrongAnswer]] = {
    "00_welcome": [
        WrongAnswer(
            "churn rate as a percentage",
            {"q1_answer": "churn_rate = float(datasets.load('churn')['churned'].mean() * 100)"},
            loses=("q1_tests",),
            keeps=("q2_tests",),
        ),
        WrongAnswer(
            "churn rate of the first 100 rows only",
            {"q1_answer": "churn_rate = float(datasets.load('churn')['churned'].head(100).mean())"},
            loses=("q1_tests",),
        ),
        WrongAnswer(
            "ratio of ratios instead of a ratio of logarithms",
            {"q2_answer": "def scaling_exponent(n1, t1, n2, t2):\n    return (t2 / t1) / (n2 / n1)"},
            loses=("q2_tests",),
            keeps=("q1_tests",),
        ),
        WrongAnswer(
            "assumes the points are in increasing order and takes an absolute value",
            {
                "q2_answer": "def scaling_exponent(n1, t1, n2, t2):\n"
                "    return abs(math.log(t2 / t1)) / abs(math.log(n2 / n1)) if t2 != t1 else 1.0"
            },
            loses=("q2_tests",),
        ),
    ],
    "02_model_complexity": [
        WrongAnswer(
            "picks the best mean instead of applying the one-standard-error rule",
            {
                "q1_answer": "def choose_depth(summary):\n"
                "    return summary.loc[summary['validation_mean'].idxmax(), 'param']"
            },
            loses=("q1_tests",),
            keeps=("q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "each row's own standard error instead of the best row's (question 5 does not charge it twice)",
            {
                "q1_answer": "def choose_depth(summary):\n"
                "    best = summary['validation_mean'].max()\n"
                "    ok = summary[summary['validation_mean'] + summary['validation_sem'] >= best]\n"
                "    return ok['param'].min()"
            },
            loses=("q1_tests",),
            keeps=("q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "the fold standard deviation instead of the standard error",
            {
                "q1_answer": "def choose_depth(summary):\n"
                "    best = summary.loc[summary['validation_mean'].idxmax()]\n"
                "    ok = summary[summary['validation_mean'] >= best['validation_mean'] - best['validation_std']]\n"
                "    return ok['param'].min()"
            },
            loses=("q1_tests",),
        ),
        WrongAnswer(
            "calls only negative importances noise",
            {
                "q2_answer": "def noise_features(importances):\n"
                "    return sorted(importances.loc[importances['importance_mean'] <= 0, 'feature'])"
            },
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "strict inequalities at the bounds",
            {
                "q2_answer": "def noise_features(importances):\n"
                "    m, s = importances['importance_mean'], importances['importance_std']\n"
                "    return sorted(importances.loc[(m < 2 * s) | (m < 0.005), 'feature'])"
            },
            loses=("q2_tests",),
        ),
        WrongAnswer(
            "exponent from the two end points only",
            {
                "q3_answer": "def fit_power_law(n, seconds):\n"
                "    n, t = np.asarray(n, float), np.asarray(seconds, float)\n"
                "    k = math.log(t[-1] / t[0]) / math.log(n[-1] / n[0])\n"
                "    return float(t[0] / n[0] ** k), float(k)\n\n"
                "def forecast(a, k, n):\n    return a * n ** k"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "straight line in linear space instead of log-log",
            {
                "q3_answer": "def fit_power_law(n, seconds):\n"
                "    k, a = np.polyfit(n, seconds, 1)\n    return float(a), float(k)\n\n"
                "def forecast(a, k, n):\n    return a + k * n"
            },
            loses=("q3_tests",),
        ),
        WrongAnswer(
            "serial fraction not clipped (negative for a superlinear speedup, above 1 for a slowdown)",
            {
                "q4_answer": "def parallel_report(t1, tp, p):\n"
                "    s = t1 / tp\n    serial = (p / s - 1) / (p - 1)\n"
                "    return {'speedup': s, 'efficiency': s / p, 'serial_fraction': serial,\n"
                "            'max_speedup': math.inf if serial == 0 else 1 / serial}"
            },
            loses=("q4_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q5_tests"),
        ),
        WrongAnswer(
            "efficiency not divided by p, serial fraction as 1 - S/p",
            {
                "q4_answer": "def parallel_report(t1, tp, p):\n"
                "    s = t1 / tp\n    serial = 1 - s / p\n"
                "    return {'speedup': s, 'efficiency': s, 'serial_fraction': serial,\n"
                "            'max_speedup': math.inf if serial == 0 else 1 / serial}"
            },
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "quotes the winner's cross-validated score as its test score",
            {"q5_answer": _held_out_estimate(test_score="cv_score")},
            loses=("q5_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests"),
        ),
        WrongAnswer(
            "refits the chosen depth on the development and the test rows",
            {
                "q5_answer": _held_out_estimate(
                    fit="pd.concat([X_dev, X_test]), pd.concat([y_dev, y_test])",
                )
            },
            loses=("q5_tests",),
        ),
        WrongAnswer(
            "correct alternatives (keep full marks): numpy, a loop over records, log10, np.clip, accuracy_score",
            {
                "q1_answer": "def choose_depth(summary):\n"
                "    m = np.asarray(summary['validation_mean'], float)\n"
                "    s = np.asarray(summary['validation_sem'], float)\n"
                "    i = int(np.argmax(m))\n"
                "    return int(np.asarray(summary['param'])[m >= m[i] - s[i]].min())",
                "q2_answer": "def noise_features(importances):\n"
                "    return sorted(r.feature for r in importances.itertuples()\n"
                "                  if r.importance_mean <= 2 * r.importance_std or r.importance_mean <= 0.005)",
                "q3_answer": "def fit_power_law(n, seconds):\n"
                "    k, b = np.polyfit(np.log10(np.asarray(n, float)), np.log10(np.asarray(seconds, float)), 1)\n"
                "    return float(10**b), float(k)\n\n"
                "def forecast(a, k, n):\n    return a * n**k",
                "q4_answer": "def parallel_report(t1, tp, p):\n"
                "    S = t1 / tp\n    s = float(np.clip((1 / S - 1 / p) / (1 - 1 / p), 0, 1))\n"
                "    return {'speedup': S, 'efficiency': S / p, 'serial_fraction': s,\n"
                "            'max_speedup': np.inf if s == 0 else 1 / s}",
                "q5_answer": _held_out_estimate(
                    test_score="accuracy_score(y_test, model.predict(X_test))",
                    imports="    from sklearn.metrics import accuracy_score\n",
                ),
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
    ],
    "03_infrastructure": [
        WrongAnswer(
            "footprint estimate that forgets the index",
            {
                "q1_answer": "def estimate_bytes(n_rows, dtypes, text_lengths):\n"
                "    per_row = 0\n"
                "    for column, dtype in dtypes.items():\n"
                "        if str(dtype) == 'object':\n"
                "            per_row += 8 + sys.getsizeof('x' * text_lengths[column])\n"
                "        else:\n"
                "            per_row += np.dtype(dtype).itemsize\n"
                "    return n_rows * per_row"
            },
            loses=("q1_tests",),
            keeps=("q2_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "footprint estimate that counts only the characters of each string (no object overhead)",
            {
                "q1_answer": "def estimate_bytes(n_rows, dtypes, text_lengths):\n"
                "    per_row = 8\n"
                "    for column, dtype in dtypes.items():\n"
                "        per_row += text_lengths[column] if str(dtype) == 'object' else np.dtype(dtype).itemsize\n"
                "    return n_rows * per_row"
            },
            loses=("q1_tests",),
        ),
        WrongAnswer(
            "calls the course package, which takes one text length for every column",
            {
                "q1_answer": "import scalingml.experiments.infrastructure\n"
                "def estimate_bytes(n_rows, dtypes, text_lengths):\n"
                "    return scalingml.experiments.infrastructure.estimate_frame_bytes(\n"
                "        n_rows, dtypes, text_length=max(text_lengths.values(), default=0))"
            },
            loses=("q1_tests",),
            keeps=("q2_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "CPU-seconds divided by 60 (minutes, not hours)",
            {
                "q2_answer": "def training_cost(cpu_seconds, assumptions):\n"
                "    for name in ('price_per_vcpu_hour', 'watts_per_core', 'grid_g_co2_per_kwh', 'pue'):\n"
                "        value = assumptions.get(name)\n"
                "        if value is None or math.isnan(value) or value < 0:\n"
                "            raise ValueError(name)\n"
                "    hours = cpu_seconds / 60\n"
                "    kwh = hours * assumptions['watts_per_core'] / 1000 * assumptions['pue']\n"
                "    return {'usd': hours * assumptions['price_per_vcpu_hour'], 'kwh': kwh,\n"
                "            'g_co2': kwh * assumptions['grid_g_co2_per_kwh']}"
            },
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "prices a negative or missing price without complaint",
            {
                "q2_answer": "def training_cost(cpu_seconds, assumptions):\n"
                "    hours = cpu_seconds / 3600\n"
                "    kwh = hours * assumptions['watts_per_core'] / 1000 * assumptions['pue']\n"
                "    return {'usd': hours * assumptions['price_per_vcpu_hour'], 'kwh': kwh,\n"
                "            'g_co2': kwh * assumptions['grid_g_co2_per_kwh']}"
            },
            loses=("q2_tests",),
        ),
        WrongAnswer(
            "checks every field for a missing value but only the price for a negative one",
            {
                "q2_answer": "def training_cost(cpu_seconds, assumptions):\n"
                "    for name in ('price_per_vcpu_hour', 'watts_per_core', 'grid_g_co2_per_kwh', 'pue'):\n"
                "        v = assumptions.get(name)\n"
                "        if v is None or v != v:\n"
                "            raise ValueError(f'{name} is missing')\n"
                "    if assumptions['price_per_vcpu_hour'] < 0:\n"
                "        raise ValueError('price_per_vcpu_hour is negative')\n"
                "    hours = cpu_seconds / 3600\n"
                "    kwh = hours * assumptions['watts_per_core'] / 1000 * assumptions['pue']\n"
                "    return {'usd': hours * assumptions['price_per_vcpu_hour'], 'kwh': kwh,\n"
                "            'g_co2': kwh * assumptions['grid_g_co2_per_kwh']}"
            },
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "energy in watt-hours (forgets to divide by 1000)",
            {
                "q2_answer": "def training_cost(cpu_seconds, assumptions):\n"
                "    for name in ('price_per_vcpu_hour', 'watts_per_core', 'grid_g_co2_per_kwh', 'pue'):\n"
                "        value = assumptions.get(name)\n"
                "        if value is None or math.isnan(value) or value < 0:\n"
                "            raise ValueError(name)\n"
                "    hours = cpu_seconds / 3600\n"
                "    kwh = hours * assumptions['watts_per_core'] * assumptions['pue']\n"
                "    return {'usd': hours * assumptions['price_per_vcpu_hour'], 'kwh': kwh,\n"
                "            'g_co2': kwh * assumptions['grid_g_co2_per_kwh']}"
            },
            loses=("q2_tests",),
        ),
        WrongAnswer(
            "calls the course package, which knows no PUE",
            {
                "q2_answer": "import scalingml.experiments.cost\n"
                "def training_cost(cpu_seconds, assumptions):\n"
                "    return scalingml.experiments.cost.cost_of(cpu_seconds, assumptions)"
            },
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
            fails_with=("BadAssumptionsError",),
        ),
        WrongAnswer(
            "Pareto front that keeps dominated points (everything more accurate than the cheapest)",
            {
                "q3_answer": "def pareto_models(frame, rows_scored):\n"
                "    total = frame['train_cpu_s'] + rows_scored * frame['predict_cpu_s_per_row']\n"
                "    cheapest = frame.loc[total.idxmin()]\n"
                "    keep = frame[(frame['accuracy'] >= cheapest['accuracy'])]\n"
                "    return sorted(keep['model'])"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "non-strict domination: identical models knock each other off the front",
            {
                "q3_answer": "def pareto_models(frame, rows_scored):\n"
                "    total = frame['train_cpu_s'] + rows_scored * frame['predict_cpu_s_per_row']\n"
                "    front = []\n"
                "    for i in range(len(frame)):\n"
                "        others = [j for j in range(len(frame)) if j != i]\n"
                "        if not ((total.iloc[others] <= total.iloc[i])\n"
                "                & (frame['accuracy'].iloc[others] >= frame['accuracy'].iloc[i])).any():\n"
                "            front.append(frame['model'].iloc[i])\n"
                "    return sorted(front)"
            },
            loses=("q3_tests",),
        ),
        WrongAnswer(
            "calls the course package: a front on training cost alone, serving ignored",
            {
                "q3_answer": "import scalingml.experiments.cost\n"
                "def pareto_models(frame, rows_scored):\n"
                "    return sorted(frame.loc[scalingml.experiments.cost.pareto_front(frame), 'model'])"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "buys the most accurate affordable model, ignoring the noise",
            {
                "q4_answer": "def buy(frame, budget):\n"
                "    affordable = frame[frame['train_cpu_s'] <= budget]\n"
                "    if affordable.empty:\n"
                "        return None\n"
                "    return affordable.loc[affordable['accuracy'].idxmax(), 'model']"
            },
            loses=("q4_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "ignores the budget when looking for the best accuracy",
            {
                "q4_answer": "def buy(frame, budget):\n"
                "    affordable = frame[frame['train_cpu_s'] <= budget]\n"
                "    if affordable.empty:\n"
                "        return None\n"
                "    best = frame.loc[frame['accuracy'].idxmax()]\n"
                "    good = affordable[affordable['accuracy'] >= best['accuracy'] - 2 * best['accuracy_se']]\n"
                "    if good.empty:\n"
                "        return affordable.sort_values('train_cpu_s').iloc[0]['model']\n"
                "    return good.sort_values('train_cpu_s').iloc[0]['model']"
            },
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "strict budget: a model that costs exactly the budget is left out",
            {
                "q4_answer": "def buy(frame, budget):\n"
                "    affordable = frame[frame['train_cpu_s'] < budget]\n"
                "    if affordable.empty:\n"
                "        return None\n"
                "    best = affordable.loc[affordable['accuracy'].idxmax()]\n"
                "    good = affordable[affordable['accuracy'] >= best['accuracy'] - 2 * best['accuracy_se']]\n"
                "    return good.sort_values('train_cpu_s').iloc[0]['model']"
            },
            loses=("q4_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "each candidate's own standard error instead of the best model's",
            {
                "q4_answer": "def buy(frame, budget):\n"
                "    a = frame[frame['train_cpu_s'] <= budget]\n"
                "    if a.empty:\n"
                "        return None\n"
                "    best = a['accuracy'].max()\n"
                "    good = a[a['accuracy'] >= best - 2 * a['accuracy_se']]\n"
                "    return good.sort_values('train_cpu_s').iloc[0]['model']"
            },
            loses=("q4_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "correct alternative (keeps full marks): the gap to the best, compared with two of its standard errors",
            {
                "q4_answer": "def buy(frame, budget):\n"
                "    a = frame[frame['train_cpu_s'] <= budget]\n"
                "    if len(a) == 0:\n"
                "        return None\n"
                "    best = a.sort_values('accuracy', ascending=False).iloc[0]\n"
                "    good = a[best['accuracy'] - a['accuracy'] <= 2 * best['accuracy_se']]\n"
                "    return str(good.sort_values('train_cpu_s')['model'].iloc[0])"
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "PSI without the epsilon for empty bins",
            {
                "q5_answer": "def psi(reference, current, bins=10):\n"
                "    reference = np.asarray(reference, dtype=float)\n"
                "    current = np.asarray(current, dtype=float)\n"
                "    q = np.linspace(0, 1, bins + 1)[1:-1]\n"
                "    edges = np.unique(np.quantile(reference[~np.isnan(reference)], q))\n"
                "    def shares(v):\n"
                "        m = np.isnan(v)\n"
                "        counts = np.bincount(np.searchsorted(edges, v[~m]), minlength=len(edges) + 1)\n"
                "        return np.append(counts, m.sum()) / len(v)\n"
                "    r, c = shares(reference), shares(current)\n"
                "    with np.errstate(divide='ignore', invalid='ignore'):\n"
                "        return float(np.nansum((c - r) * np.log(c / r)))"
            },
            loses=("q5_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q6_tests"),
        ),
        WrongAnswer(
            "PSI with the epsilon floor on the current sample only",
            {
                "q5_answer": "def psi(reference, current, bins=10):\n"
                "    reference = np.asarray(reference, dtype=float)\n"
                "    current = np.asarray(current, dtype=float)\n"
                "    q = np.linspace(0, 1, bins + 1)[1:-1]\n"
                "    edges = np.unique(np.quantile(reference[~np.isnan(reference)], q))\n"
                "    def shares(v):\n"
                "        m = np.isnan(v)\n"
                "        counts = np.bincount(np.searchsorted(edges, v[~m]), minlength=len(edges) + 1)\n"
                "        return np.append(counts, m.sum()) / len(v)\n"
                "    r, c = shares(reference), np.maximum(shares(current), 1e-4)\n"
                "    with np.errstate(divide='ignore', invalid='ignore'):\n"
                "        return float(np.sum((c - r) * np.log(c / r)))"
            },
            loses=("q5_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q6_tests"),
        ),
        WrongAnswer(
            "PSI on equal-width bins instead of the reference's quantiles",
            {
                "q5_answer": "def psi(reference, current, bins=10):\n"
                "    reference = np.asarray(reference, dtype=float)\n"
                "    current = np.asarray(current, dtype=float)\n"
                "    present = reference[~np.isnan(reference)]\n"
                "    edges = np.linspace(present.min(), present.max(), bins + 1)[1:-1]\n"
                "    def shares(v):\n"
                "        m = np.isnan(v)\n"
                "        counts = np.bincount(np.searchsorted(edges, v[~m]), minlength=bins)\n"
                "        return np.maximum(np.append(counts, m.sum()) / len(v), 1e-4)\n"
                "    r, c = shares(reference), shares(current)\n"
                "    return float(np.sum((c - r) * np.log(c / r)))"
            },
            loses=("q5_tests",),
        ),
        WrongAnswer(
            "calls the course package, which refuses missing values",
            {
                "q5_answer": "import scalingml.experiments.monitoring\n"
                "def psi(reference, current, bins=10):\n"
                "    return scalingml.experiments.monitoring.psi(reference, current, bins=bins)"
            },
            loses=("q5_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q6_tests"),
            fails_with=("DriftInputError",),
        ),
        WrongAnswer(
            "alarm on the mean PSI over features instead of any feature",
            {
                "q6_answer": "def alarm_months(drift, threshold=0.25):\n"
                "    mean = drift.groupby('month')['psi'].mean()\n"
                "    return [int(m) for m in mean[mean >= threshold].index]"
            },
            loses=("q6_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "strict threshold: a PSI of exactly 0.25 raises no alarm",
            {
                "q6_answer": "def alarm_months(drift, threshold=0.25):\n"
                "    return sorted(int(m) for m in drift.loc[drift['psi'] > threshold, 'month'].unique())"
            },
            loses=("q6_tests",),
        ),
    ],
    "01_data_management": [
        WrongAnswer(
            "no rule for the region: the dirty table has no bad region, so only a clean-table probe catches it",
            {"q1_answer": _schema_01(region="pa.Column(str)")},
            loses=("q1_tests",),
            keeps=("q3_tests",),  # q2 reuses the schema: it lost points in one full run and kept them in another
        ),
        WrongAnswer(
            "spend may be zero and tenure has no upper bound (the injected dirt never tests either)",
            {
                "q1_answer": _schema_01(
                    tenure_months="pa.Column(float, pa.Check.ge(0))", monthly_spend="pa.Column(float, pa.Check.ge(0))"
                )
            },
            loses=("q1_tests",),
            keeps=("q3_tests",),  # q2 reuses the schema (see the case above)
        ),
        WrongAnswer(
            "correct alternative: two checks per range, pandera dtype names, unique on the schema, plan by regex",
            {
                "q1_answer": _schema_01(
                    customer_id="pa.Column('int64')",
                    region="pa.Column(pa.String, pa.Check.isin({'north', 'south', 'east', 'west'}))",
                    plan="pa.Column(str, pa.Check.str_matches(r'^(basic|standard|premium)$'))",
                    satisfaction="pa.Column(float, [pa.Check.ge(0), pa.Check.le(10)])",
                    tenure_months="pa.Column('float64', [pa.Check.ge(0), pa.Check.le(600)], nullable=False)",
                    extra=", unique=['customer_id']",
                )
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests"),
        ),
        WrongAnswer(
            "one pass over the partitions instead of three (accuracy alone barely notices)",
            {"q2_answer": _chunked_01(epochs="1")},
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests"),
        ),
        WrongAnswer(
            "one-hot encodes each chunk on its own values: a chunk without a plan changes the columns",
            {
                "q2_answer": _chunked_01(
                    features="pd.concat([frame[['tenure_months', 'monthly_spend', 'support_tickets', 'satisfaction',"
                    " 'noise_0', 'noise_1', 'noise_2']].astype(float), pd.get_dummies(frame[['plan', 'region']]"
                    ".astype(str), dtype=float)], axis=1).to_numpy(), frame['churned']"
                )
            },
            loses=("q2_tests",),
            fails_with=("ValueError",),
        ),
        WrongAnswer(
            "loads every partition, then calls partial_fit on the whole table",
            {
                "q2_answer": "from sklearn.linear_model import SGDClassifier\n"
                "from sklearn.preprocessing import StandardScaler\n\n"
                "def train_in_chunks(folder):\n"
                "    frame = pd.concat([f for _, f in datasets.read_partitions(folder)], ignore_index=True)\n"
                "    X, y = customer_features(frame)\n"
                "    scaler = StandardScaler().partial_fit(X)\n"
                "    model = SGDClassifier(loss='log_loss', average=True, random_state=0)\n"
                "    for _ in range(3):\n"
                "        model.partial_fit(scaler.transform(X), y, classes=[0, 1])\n"
                "    return scaler, model"
            },
            loses=("q2_tests",),
        ),
        WrongAnswer(
            "correct alternative: partitions in a random order each epoch, rows shuffled, read with pandas",
            {
                "q2_answer": "import random\n"
                "from sklearn.linear_model import SGDClassifier\n"
                "from sklearn.preprocessing import StandardScaler\n\n"
                "def train_in_chunks(folder):\n"
                "    paths = datasets.list_partitions(folder)\n"
                "    scaler = StandardScaler()\n"
                "    for path in paths:\n"
                "        scaler.partial_fit(customer_features(pd.read_parquet(path))[0].to_numpy())\n"
                "    model = SGDClassifier(loss='log_loss', average=True, random_state=0)\n"
                "    rng = random.Random(1)\n"
                "    for _ in range(3):\n"
                "        for path in rng.sample(paths, len(paths)):\n"
                "            X, y = customer_features(pd.read_parquet(path).sample(frac=1.0, random_state=0))\n"
                "            X, y = scaler.transform(X.to_numpy()), y.to_numpy()\n"
                "            model.partial_fit(X, y, classes=np.array([0, 1]))\n"
                "    return scaler, model"
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests"),
        ),
        WrongAnswer(
            "match rate divided by the number of events (the hint's own warning; once hidden by 4 ids on each side)",
            {
                "q3_answer": "def customer_id_from_ref(refs):\n"
                "    return refs.str.extract(r'(\\d+)\\s*$', expand=False).astype(np.int64)\n\n"
                "def match_rate(crm_ids, event_ids):\n"
                "    crm = pd.Series(list(crm_ids)).drop_duplicates()\n"
                "    return float(crm.isin(set(event_ids)).sum() / len(list(event_ids)))"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests"),
            visible=True,
        ),
        WrongAnswer(
            "ids as floats, and the match rate relative to the events instead of the CRM",
            {
                "q3_answer": "def customer_id_from_ref(refs):\n"
                "    return refs.str.extract(r'(\\d+)\\s*$', expand=False).astype(float)\n\n"
                "def match_rate(crm_ids, event_ids):\n"
                "    events = pd.Series(list(event_ids))\n"
                "    return float(events.isin(set(crm_ids)).mean())"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests"),
        ),
        WrongAnswer(
            "takes at most five digits, and counts repeated CRM customers",
            {
                "q3_answer": "def customer_id_from_ref(refs):\n"
                "    return refs.str.extract(r'(\\d{1,5})', expand=False).astype(int)\n\n"
                "def match_rate(crm_ids, event_ids):\n"
                "    return float(pd.Series(list(crm_ids)).isin(set(event_ids)).mean())"
            },
            loses=("q3_tests",),
        ),
        WrongAnswer(
            "correct alternative: a list from re.findall, and set arithmetic",
            {
                "q3_answer": "import re\n\n"
                "def customer_id_from_ref(refs):\n"
                "    return [int(re.findall(r'\\d+', ref)[-1]) for ref in refs]\n\n"
                "def match_rate(crm_ids, event_ids):\n"
                "    crm = set(crm_ids)\n"
                "    return len(crm & set(event_ids)) / len(crm)"
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests"),
        ),
    ],
    "05_regulation_ethics": [
        WrongAnswer(
            "k computed over all columns, not just the quasi-identifiers",
            {
                "q1_answer": "def k_anonymity(frame, quasi_ids):\n"
                "    frame[list(quasi_ids)]  # KeyError for a missing name\n"
                "    return int(frame.groupby(list(frame.columns), dropna=False).size().min())"
            },
            loses=("q1_tests",),
            keeps=("q2_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "number of groups instead of the size of the smallest",
            {"q1_answer": "def k_anonymity(frame, quasi_ids):\n    return int(frame.groupby(list(quasi_ids)).ngroups)"},
            loses=("q1_tests",),
        ),
        WrongAnswer(
            "groupby without dropna=False: rows with a missing quasi-identifier vanish",
            {
                "q1_answer": "def k_anonymity(frame, quasi_ids):\n"
                "    return int(frame.groupby(list(quasi_ids)).size().min())"
            },
            loses=("q1_tests",),
            keeps=("q2_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "floor division in the noise scale",
            {
                "q2_answer": "def laplace_release(value, sensitivity, epsilon, rng):\n"
                "    if epsilon <= 0:\n        raise ValueError('epsilon must be positive')\n"
                "    return value + rng.laplace(0.0, sensitivity // epsilon)"
            },
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "noise scale 1/epsilon without the sensitivity",
            {
                "q2_answer": "def laplace_release(value, sensitivity, epsilon, rng):\n"
                "    if epsilon <= 0:\n        raise ValueError('epsilon must be positive')\n"
                "    return value + rng.laplace(0.0, 1.0 / epsilon)"
            },
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "Gaussian noise with the Laplace standard deviation",
            {
                "q2_answer": "def laplace_release(value, sensitivity, epsilon, rng):\n"
                "    if epsilon <= 0:\n        raise ValueError('epsilon must be positive')\n"
                "    return value + rng.normal(0.0, math.sqrt(2) * sensitivity / epsilon)"
            },
            loses=("q2_tests",),
        ),
        WrongAnswer(
            "no check of epsilon",
            {
                "q2_answer": "def laplace_release(value, sensitivity, epsilon, rng):\n"
                "    return value + rng.laplace(0.0, sensitivity / epsilon)"
            },
            loses=("q2_tests",),
            fails_with=("ZeroDivisionError",),
        ),
        WrongAnswer(
            "ignores the generator it is given",
            {
                "q2_answer": "def laplace_release(value, sensitivity, epsilon, rng):\n"
                "    if epsilon <= 0:\n        raise ValueError('epsilon must be positive')\n"
                "    return value + np.random.laplace(0.0, sensitivity / epsilon)"
            },
            loses=("q2_tests",),
        ),
        WrongAnswer(
            "ignores the attack AUC limit",
            {
                "q3_answer": "def choose_private_depth(leak, max_auc):\n"
                "    return leak.loc[leak['test_accuracy'].idxmax(), 'depth']"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "strict limit on the attack AUC",
            {
                "q3_answer": "def choose_private_depth(leak, max_auc):\n"
                "    safe = leak[leak['attack_auc'] < max_auc]\n"
                "    return None if safe.empty else safe.loc[safe['test_accuracy'].idxmax(), 'depth']"
            },
            loses=("q3_tests",),
        ),
        WrongAnswer(
            "walks the depths upwards and stops at the first unsafe one",
            {
                "q3_answer": "def choose_private_depth(leak, max_auc):\n"
                "    best = None\n"
                "    for _, row in leak.sort_values('depth').iterrows():\n"
                "        if row['attack_auc'] > max_auc:\n"
                "            break\n"
                "        if best is None or row['test_accuracy'] > best['test_accuracy']:\n"
                "            best = row\n"
                "    return None if best is None else int(best['depth'])"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests", "q4_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "only considers depths up to the most accurate one",
            {
                "q3_answer": "def choose_private_depth(leak, max_auc):\n"
                "    top = leak.loc[leak['test_accuracy'].idxmax(), 'depth']\n"
                "    safe = leak[(leak['depth'] <= top) & (leak['attack_auc'] <= max_auc)]\n"
                "    return None if safe.empty else safe.loc[safe['test_accuracy'].idxmax(), 'depth']"
            },
            loses=("q3_tests",),
        ),
        WrongAnswer(
            "gap between the first and the last group",
            {"q4_answer": _parity_gaps("abs(sel.iloc[0] - sel.iloc[-1])", "abs(tpr.iloc[0] - tpr.iloc[-1])")},
            loses=("q4_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "largest gap between neighbouring groups",
            {"q4_answer": _parity_gaps("sel.diff().abs().max()", "tpr.diff().abs().max()")},
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "copy-paste: equal opportunity from the selection rates",
            {"q4_answer": _parity_gaps("sel.max() - sel.min()", "sel.max() - sel.min()")},
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "copy-paste: demographic parity from the true-positive rates",
            {"q4_answer": _parity_gaps("tpr.max() - tpr.min()", "tpr.max() - tpr.min()")},
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "never tries max_depth itself",
            {"q5_answer": _surrogate_depth("range(1, max_depth)")},
            loses=("q5_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q6_tests"),
        ),
        WrongAnswer(
            "never tries depth 1",
            {"q5_answer": _surrogate_depth("range(2, max_depth + 1)")},
            loses=("q5_tests",),
        ),
        WrongAnswer(
            "rates computed over the whole population instead of per group",
            {
                "q4_answer": "def group_rates(y_true, y_pred, groups):\n"
                "    y, p, g = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)\n"
                "    names = sorted(set(g))\n"
                "    return pd.DataFrame({'selection_rate': p.mean(), 'true_positive_rate': p[y == 1].mean()},\n"
                "                        index=names)\n\n" + _PARITY_GAPS
            },
            loses=("q4_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q5_tests", "q6_tests"),
        ),
        WrongAnswer(
            "precision (approved who were positive) instead of the true-positive rate",
            {
                "q4_answer": "def group_rates(y_true, y_pred, groups):\n"
                "    f = pd.DataFrame({'y': np.asarray(y_true), 'p': np.asarray(y_pred), 'g': np.asarray(groups)})\n"
                "    return pd.DataFrame({'selection_rate': f.groupby('g')['p'].mean(),\n"
                "                         'true_positive_rate': f[f['p'] == 1].groupby('g')['y'].mean()})\n\n"
                + _PARITY_GAPS
            },
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "fidelity measured on the rows the surrogate was fitted on",
            {
                "q5_answer": "def surrogate_depth(model, X_fit, X_check, target, max_depth=10):\n"
                "    copied = model.predict(X_fit)\n"
                "    for depth in range(1, max_depth + 1):\n"
                "        tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X_fit, copied)\n"
                "        if np.mean(tree.predict(X_fit) == copied) >= target:\n"
                "            return depth\n"
                "    return None"
            },
            loses=("q5_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q6_tests"),
        ),
        WrongAnswer(
            "surrogate fitted to the true labels instead of the model's decisions",
            {
                "q5_answer": "def surrogate_depth(model, X_fit, X_check, target, max_depth=10):\n"
                "    reference = model.predict(X_check)\n"
                "    for depth in range(1, max_depth + 1):\n"
                "        tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X_train, y_train)\n"
                "        if np.mean(tree.predict(X_check) == reference) >= target:\n"
                "            return depth\n"
                "    return None"
            },
            loses=("q5_tests",),
        ),
        WrongAnswer(
            "first approved combination instead of the cheapest",
            {
                "q6_answer": "import itertools\n\n"
                "def cheapest_counterfactual(model, applicant, grid, scales):\n"
                "    features = list(grid)\n"
                "    for values in itertools.product(*(grid[f] for f in features)):\n"
                "        candidate = applicant.copy()\n"
                "        candidate[features] = values\n"
                "        if model.predict(candidate.to_frame().T)[0] == 1:\n"
                "            return candidate\n"
                "    return None\n\n"
                "changed = cheapest_counterfactual(forest, applicant, grid, scales)"
            },
            loses=("q6_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "cost in raw units, ignoring the scales",
            {
                "q6_answer": "import itertools\n\n"
                "def cheapest_counterfactual(model, applicant, grid, scales):\n"
                "    features, best, best_cost = list(grid), None, math.inf\n"
                "    for values in itertools.product(*(grid[f] for f in features)):\n"
                "        candidate = applicant.copy()\n"
                "        candidate[features] = values\n"
                "        cost = sum(abs(v - applicant[f]) for f, v in zip(features, values))\n"
                "        if cost < best_cost and model.predict(candidate.to_frame().T)[0] == 1:\n"
                "            best, best_cost = candidate, cost\n"
                "    return best\n\n"
                "changed = cheapest_counterfactual(forest, applicant, grid, scales)"
            },
            loses=("q6_tests",),
        ),
        WrongAnswer(
            "no copy: every candidate overwrites the applicant",
            {
                "q6_answer": "import itertools\n\n"
                "def cheapest_counterfactual(model, applicant, grid, scales):\n"
                "    original = applicant.copy()\n"
                "    features, best, best_cost = list(grid), None, math.inf\n"
                "    for values in itertools.product(*(grid[f] for f in features)):\n"
                "        candidate = applicant\n"
                "        candidate[features] = values\n"
                "        cost = sum(abs(v - original[f]) / scales[f] for f, v in zip(features, values))\n"
                "        if cost < best_cost and model.predict(candidate.to_frame().T)[0] == 1:\n"
                "            best, best_cost = candidate, cost\n"
                "    return best\n\n"
                "changed = cheapest_counterfactual(forest, applicant, grid, scales)"
            },
            loses=("q6_tests",),
        ),
    ],
    "04_talent": [
        WrongAnswer(
            "a pipeline that still selects features outside the folds",
            {
                "q1_answer": "def honest_score(X, y, k, folds):\n"
                "    selected = SelectKBest(f_classif, k=k).fit_transform(X, y)\n"
                "    model = make_pipeline(LogisticRegression())\n"
                "    return float(cross_val_score(model, selected, y, cv=folds).mean())"
            },
            loses=("q1_tests",),
            keeps=("q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "scores the pipeline on the rows it was fitted on",
            {
                "q1_answer": "def honest_score(X, y, k, folds):\n"
                "    model = make_pipeline(SelectKBest(f_classif, k=k), LogisticRegression())\n"
                "    return float(model.fit(X, y).score(X, y))"
            },
            loses=("q1_tests",),
        ),
        WrongAnswer(
            "shuffled k-fold on time-ordered data",
            {
                "q2_answer": "def time_split_mae(frame, n_splits):\n"
                "    cv = KFold(n_splits=n_splits, shuffle=True, random_state=0)\n"
                "    scores = cross_val_score(HistGradientBoostingRegressor(random_state=0), frame[features],\n"
                "                             frame['demand'], cv=cv, scoring='neg_mean_absolute_error')\n"
                "    return float(-scores.mean())"
            },
            loses=("q2_tests",),
            keeps=("q1_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "shuffles the rows before a time-based split",
            {
                "q2_answer": "def time_split_mae(frame, n_splits):\n"
                "    frame = frame.sample(frac=1, random_state=0)\n"
                "    scores = cross_val_score(HistGradientBoostingRegressor(random_state=0), frame[features],\n"
                "                             frame['demand'], cv=TimeSeriesSplit(n_splits),\n"
                "                             scoring='neg_mean_absolute_error')\n"
                "    return float(-scores.mean())"
            },
            loses=("q2_tests",),
        ),
        WrongAnswer(
            "a seed set in the split but not in the estimator",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,\n"
                "                                                        random_state=seed)\n"
                "    model = RandomForestClassifier(n_estimators=20).fit(X_train, y_train)\n"
                "    return float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"
            },
            loses=("q3_tests",),
            keeps=("q1_tests", "q2_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "a fixed seed that ignores the argument",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,\n"
                "                                                        random_state=0)\n"
                "    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)\n"
                "    return float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"
            },
            loses=("q3_tests",),
        ),
        WrongAnswer(
            "a truck factor that counts commits instead of files",
            {
                "q4_answer": "def truck_factor_of(log):\n"
                "    counts = log.groupby('author')['commit'].nunique().sort_values(ascending=False)\n"
                "    total = log['commit'].nunique()\n"
                "    return int((counts.cumsum() <= total / 2).sum() + 1)"
            },
            loses=("q4_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q5_tests"),
        ),
        WrongAnswer(
            "anyone who touched a file knows it",
            {
                "q4_answer": "def truck_factor_of(log):\n"
                "    knows = log.groupby('file')['author'].agg(set).to_dict()\n"
                "    authors = sorted(log['author'].unique())\n"
                "    for size in range(1, len(authors) + 1):\n"
                "        for group in itertools.combinations(authors, size):\n"
                "            if sum(p <= set(group) for p in knows.values()) > len(knows) / 2:\n"
                "                return size"
            },
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "greedy removal of the author who knows most files",
            {
                "q4_answer": "def truck_factor_of(log):\n"
                "    per = log.groupby(['file', 'author'])['commit'].nunique()\n"
                "    share = per / per.groupby(level='file').transform('sum')\n"
                "    knows = share[share >= 0.25].reset_index().groupby('file')['author'].agg(set).to_dict()\n"
                "    knows = {f: knows.get(f, set()) for f in log['file'].unique()}\n"
                "    gone = set()\n"
                "    while sum(p <= gone for p in knows.values()) <= len(knows) / 2:\n"
                "        left = [a for a in sorted(log['author'].unique()) if a not in gone]\n"
                "        gone.add(max(left, key=lambda a: sum(a in p - gone for p in knows.values())))\n"
                "    return len(gone)"
            },
            loses=("q4_tests",),
        ),
        WrongAnswer(
            "ignores the noise: any higher score beats the default",
            {
                "q5_answer": "def budget_needed(curve, default_score, noise):\n"
                "    better = curve.loc[curve['test_score'] > default_score, 'budget']\n"
                "    return int(better.min()) if len(better) else None"
            },
            loses=("q5_tests",),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests"),
        ),
        WrongAnswer(
            "returns 0 when the default is never beaten",
            {
                "q5_answer": "def budget_needed(curve, default_score, noise):\n"
                "    better = curve.loc[curve['test_score'] > default_score + 2 * noise, 'budget']\n"
                "    return int(better.min()) if len(better) else 0"
            },
            loses=("q5_tests",),
        ),
        WrongAnswer(
            "a forest pinned to a constant seed",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,\n"
                "                                                        random_state=seed)\n"
                "    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)\n"
                "    return float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"
            },
            loses=("q3_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q4_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "a global numpy seed instead of random_state",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    np.random.seed(seed)\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y)\n"
                "    model = RandomForestClassifier(n_estimators=20).fit(X_train, y_train)\n"
                "    return float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"
            },
            loses=("q3_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q4_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "ROC AUC on hard labels",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,\n"
                "                                                        random_state=seed)\n"
                "    model = RandomForestClassifier(n_estimators=20, random_state=seed).fit(X_train, y_train)\n"
                "    return float(roc_auc_score(y_test, model.predict(X_test)))"
            },
            loses=("q3_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q4_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "accuracy instead of ROC AUC",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,\n"
                "                                                        random_state=seed)\n"
                "    model = RandomForestClassifier(n_estimators=20, random_state=seed).fit(X_train, y_train)\n"
                "    return float(model.score(X_test, y_test))"
            },
            loses=("q3_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q4_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "another split and forest size",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed)\n"
                "    model = RandomForestClassifier(n_estimators=100, random_state=seed).fit(X_train, y_train)\n"
                "    return float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))"
            },
            loses=("q3_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q4_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "ROC AUC on the training rows",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,\n"
                "                                                        random_state=seed)\n"
                "    model = RandomForestClassifier(n_estimators=20, random_state=seed).fit(X_train, y_train)\n"
                "    return float(roc_auc_score(y_train, model.predict_proba(X_train)[:, 1]))"
            },
            loses=("q3_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q4_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "correct alternative: RandomState objects, numpy arrays, the churn column by classes_",
            {
                "q3_answer": "def reproducible_auc(frame, seed):\n"
                "    X, y = customer_features(frame)\n"
                "    X, y = X.to_numpy(), y.to_numpy()\n"
                "    rng = np.random.RandomState\n"
                "    parts = train_test_split(X, y, test_size=0.25, stratify=y, random_state=rng(seed))\n"
                "    X_train, X_test, y_train, y_test = parts\n"
                "    forest = RandomForestClassifier(n_estimators=20, random_state=rng(seed), n_jobs=2)\n"
                "    forest.fit(X_train, y_train)\n"
                "    churn = list(forest.classes_).index(1)\n"
                "    return float(roc_auc_score(y_test, forest.predict_proba(X_test)[:, churn]))"
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "rows instead of distinct commits",
            {
                "q4_answer": "def truck_factor_of(log):\n"
                "    c = log.groupby(['file', 'author']).size()\n"
                "    share = c / log.groupby('file').size().reindex(c.index.get_level_values('file')).to_numpy()\n"
                "    knows = {f: set() for f in log['file'].unique()}\n"
                "    for (f, a), v in share.items():\n"
                "        if v >= 0.25:\n"
                "            knows[f].add(a)\n"
                "    authors = sorted(log['author'].unique())\n"
                "    for size in range(1, len(authors) + 1):\n"
                "        for group in itertools.combinations(authors, size):\n"
                "            if sum(p <= set(group) for p in knows.values()) > len(knows) / 2:\n"
                "                return size"
            },
            loses=("q4_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q3_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "files nobody knows dropped",
            {
                "q4_answer": "def truck_factor_of(log):\n"
                "    per = log.groupby(['file', 'author'])['commit'].nunique()\n"
                "    per_file = log.groupby('file')['commit'].nunique()\n"
                "    share = per / per_file.reindex(per.index.get_level_values('file')).to_numpy()\n"
                "    knows = share[share >= 0.25].reset_index().groupby('file')['author'].agg(set).to_dict()\n"
                "    authors = sorted(log['author'].unique())\n"
                "    for size in range(1, len(authors) + 1):\n"
                "        for group in itertools.combinations(authors, size):\n"
                "            if sum(p <= set(group) for p in knows.values()) > len(knows) / 2:\n"
                "                return size"
            },
            loses=("q4_tests",),
            keeps=(
                "q1_tests",
                "q2_tests",
                "q3_tests",
                "q5_tests",
            ),
        ),
        WrongAnswer(
            "calls the package's truck factor, which the setup no longer imports",
            {"q4_answer": "def truck_factor_of(log):\n    return reference_truck_factor.truck_factor(log).value"},
            loses=("q4_tests",),
            fails_with=("NameError",),
        ),
        WrongAnswer(
            "calls the package's budget_to_beat, which the setup no longer imports",
            {
                "q5_answer": "def budget_needed(curve, default_score, noise):\n"
                "    return tuning.budget_to_beat(curve, default_score, margin=2 * noise)"
            },
            loses=("q5_tests",),
            fails_with=("NameError",),
        ),
        WrongAnswer(
            "correct alternative: the gain beyond twice the noise",
            {
                "q5_answer": "def budget_needed(curve, default_score, noise):\n"
                "    gain = curve['test_score'] - default_score\n"
                "    b = curve.loc[gain > 2 * noise, 'budget']\n"
                "    return int(b.min()) if len(b) else None"
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
        WrongAnswer(
            "correct alternative: a z-score above 2",
            {
                "q5_answer": "def budget_needed(curve, default_score, noise):\n"
                "    with np.errstate(divide='ignore', invalid='ignore'):\n"
                "        z = (np.asarray(curve['test_score'], float) - default_score) / noise\n"
                "    budgets = [int(b) for b, above in zip(curve['budget'], z > 2) if above]\n"
                "    return min(budgets) if budgets else None"
            },
            loses=(),
            keeps=("q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"),
        ),
    ],
}
