"""Generation: prompts, the model call through litellm, the local provider, citations.

litellm fetches its price map from the internet at import unless told to use its bundled copy;
set that before anything here imports litellm (a user's environment still wins).
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
