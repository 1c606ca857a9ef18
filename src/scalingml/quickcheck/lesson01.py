"""Lesson 01 (data management). ``CHECKS``: the quick checks closing its sections (quality, volume, variety).

``ASSESSMENT``: one question per challenge for lesson 04's self-assessment (its learning path).
"""

from scalingml.quickcheck.model import MultipleChoice, Option

CHECKS = (
    MultipleChoice(
        key="01.quality",
        prompt=(
            "The same share of values goes missing (and is imputed with the median) either in a weak feature or in "
            "the feature that drives churn most. Which should cost the model more accuracy?"
        ),
        options=(
            Option(
                "The weak feature: the model has fewer other signals to fall back on there.",
                False,
                "A feature the model barely uses cannot cost much when it is blanked out: there was little signal "
                "in it to lose.",
            ),
            Option(
                "Both the same: missing is missing.",
                False,
                "The cost of a missing value is the information it carried, and that differs between features.",
            ),
            Option(
                "The strongest driver.",
                True,
                "The model relies on it most: each imputed value replaces real signal with a constant. Dirt in a "
                "weak feature removes little the model used. That is why the experiment above blanks out the "
                "drivers: dirt where the signal is shows the real cost.",
            ),
        ),
    ),
    MultipleChoice(
        key="01.volume",
        prompt=(
            "You train out of core with `partial_fit`, one chunk at a time, on a file sorted by sign-up date. "
            "What should you do first?"
        ),
        options=(
            Option(
                "Shuffle rows across chunks, and fix each one-hot column's categories up front.",
                True,
                "Chunks must look like the whole table. And a chunk that lacks a category would otherwise produce "
                "fewer one-hot columns than the model was started with.",
            ),
            Option(
                "Nothing: whatever the order of the rows, the model sees every one of them in the end.",
                False,
                "Each `partial_fit` step moves the model towards the chunk it sees, so a sorted file drags it "
                "towards the most recent customers; it never sees a representative sample at once.",
            ),
            Option(
                "Use larger chunks, so that each one covers a wider range of sign-up dates.",
                False,
                "Larger chunks of a sorted file are still sorted: each is still unlike the whole table, and memory "
                "grows with the chunk.",
            ),
        ),
    ),
    MultipleChoice(
        key="01.variety",
        prompt=(
            "The CRM writes a customer as `Lund Clear Builders Inc`, finance as `LUND CLEAR BUILDERS INCORPORATED`. "
            "You join the two tables on the name as it is. What happens to that customer?"
        ),
        options=(
            Option(
                "pandas matches the two names, because they differ only in letter case and legal suffix.",
                False,
                "`merge` compares keys exactly; any normalisation is yours to do.",
            ),
            Option(
                "The exact join silently drops it (or keeps it with missing finance columns).",
                True,
                "An exact join matches only identical keys, and nothing warns you. Normalise the keys (case, "
                "legal suffixes, units, id formats) and count the matches before and after.",
            ),
            Option(
                "The join fails with an error.",
                False,
                "It does not: unmatched keys are dropped (inner join) or padded with missing values (left join), "
                "silently.",
            ),
        ),
    ),
)

#: One self-assessment question per challenge (lesson 04's learning path), keyed by its section.
ASSESSMENT = (
    MultipleChoice(
        key="01.quality",
        prompt="A supplier silently switches a column from euros to cents. What catches it before training?",
        options=(
            Option("Cross-validation of the next model, which would show the drop in accuracy", False),
            Option("A schema with value checks, run on every new extract", True),
            Option("Dropping the rows whose values are outliers", False),
        ),
    ),
    MultipleChoice(
        key="01.volume",
        prompt="A table no longer fits in memory. What is the first thing to try?",
        options=(
            Option("Rent a machine with more memory, so that the code can stay as it is", False),
            Option("Train on a random 10% sample", False),
            Option("Process it in chunks or partitions (out-of-core)", True),
        ),
    ),
    MultipleChoice(
        key="01.variety",
        prompt="Two sources spell customer names differently. How do you join them?",
        options=(
            Option("An exact join on the lower-cased name", False),
            Option("A fuzzy join on normalised names, then check the doubtful matches", True),
            Option("A join on the postcode alone, which both sources spell alike", False),
        ),
    ),
)
