"""The fix judge: a patch is verified only when the failed step passes with it in the sandbox
(:mod:`.verifier`), after the policy (:mod:`.policy`) found nothing it may not touch: the test
runner's settings (:mod:`.runner_settings`), the files the failed step names as its judge
(:mod:`.step_files`). The runner's own report must show the tests the log named passing
(:mod:`.passing`); the model's new test is judged fail-to-pass (:mod:`.fail_to_pass`)."""
