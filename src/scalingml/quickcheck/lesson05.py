"""Lesson 05 (regulation and ethics). ``CHECKS``: the quick checks closing its sections (privacy, bias, transparency).

``ASSESSMENT``: one question per challenge for lesson 04's self-assessment (its learning path).
"""

from scalingml.quickcheck.model import MultipleChoice, Option

CHECKS = (
    MultipleChoice(
        key="05.privacy",
        prompt="Six-digit member ids are replaced by their SHA-256 hash before the table is shared. Is it anonymous?",
        options=(
            Option(
                "Yes: SHA-256 cannot be reversed, so nobody can get from a hash back to an id.",
                False,
                "It cannot be inverted, but there are only a million six-digit ids: hashing each one and looking "
                "the hashes up re-identifies everybody in seconds.",
            ),
            Option(
                "No: a dictionary attack reverses it; even a keyed HMAC only makes it pseudonymous.",
                True,
                "With a secret key the attack fails, but whoever holds the key can still link the rows back: "
                "pseudonymised data remains personal data under the GDPR.",
            ),
            Option(
                "Yes, if a salt stored next to the data is added to each id before it is hashed.",
                False,
                "Whoever gets the table gets the salt, and the dictionary attack simply includes it.",
            ),
        ),
    ),
    MultipleChoice(
        key="05.bias",
        prompt="The credit model never sees the group column. Can its decisions still differ by group?",
        options=(
            Option(
                "No: without the column the model has no way to tell the groups apart.",
                False,
                "'Fairness through unawareness' fails whenever another feature carries the group, as the district "
                "does in the lesson.",
            ),
            Option(
                "Only if the training labels contain no bias.",
                False,
                "It is the other way round: biased past decisions are what a model learns to repeat through proxies.",
            ),
            Option(
                "Yes: a proxy such as the district can carry the group back in.",
                True,
                "Dropping a column is not a fix: audit the outcomes per group. Compare selection and error rates per "
                "group on held-out rows, with their uncertainty.",
            ),
        ),
    ),
    MultipleChoice(
        key="05.transparency",
        prompt="A depth-3 surrogate tree matches the forest on 80% of held-out rows. What can you tell a regulator?",
        options=(
            Option(
                "The tree approximates the forest, with a fidelity of 80% on held-out rows.",
                True,
                "A surrogate explains only as far as its fidelity; state it beside every rule you show.",
            ),
            Option(
                "The forest decides by the tree's rules, which anyone can read.",
                False,
                "On one row in five the forest decides otherwise: the rules describe the forest only approximately.",
            ),
            Option(
                "The forest is wrong on 20% of the rows, where the tree disagrees with it.",
                False,
                "Fidelity is agreement with the forest, not accuracy: the forest may be right where the tree differs.",
            ),
        ),
    ),
)

#: One self-assessment question per challenge (lesson 04's learning path), keyed by its section.
ASSESSMENT = (
    MultipleChoice(
        key="05.privacy",
        prompt="You share a customer table with an analytics partner. The customer ids should be ...",
        options=(
            Option("Replaced by keyed pseudonyms (HMAC), with the key kept by you", True),
            Option("Kept as they are: ids are not personal data", False),
            Option("Hashed with SHA-256, which cannot be reversed", False),
        ),
    ),
    MultipleChoice(
        key="05.bias",
        prompt="A model's accuracy is the same for two groups. Is it fair?",
        options=(
            Option("Yes: equal accuracy for both groups means equal treatment of both", False),
            Option("Not necessarily: audit selection and error rates per group", True),
            Option("Yes, if the group column is not among the model's features", False),
        ),
    ),
    MultipleChoice(
        key="05.transparency",
        prompt="A small tree mimics a large model for a regulator. What must you report with it?",
        options=(
            Option("Its accuracy on the training rows, and the depth that keeps it readable", False),
            Option("Its fidelity: how often it agrees with the model it explains", True),
            Option("Nothing: a tree explains itself", False),
        ),
    ),
)
