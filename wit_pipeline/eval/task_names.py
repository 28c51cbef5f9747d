"""The evaluation tasks by name: what ``wit eval --task`` accepts (no torch, so the CLI can read them)."""

TASKS = ("zeroshot", "retrieval", "linear-probe")
TASK_CHOICES = (*TASKS, "all")
