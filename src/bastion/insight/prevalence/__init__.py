"""The prevalence program: sample views of a period by classifier score, label them, estimate."""
