"""The inference toolkit's error type: raised with a 4xx status, it becomes that HTTP answer."""
try:
    from sagemaker_inference.errors import BaseInferenceToolkitError
except ImportError:  # outside the inference container: same constructor and attributes

    class BaseInferenceToolkitError(Exception):
        def __init__(self, status_code, message, phrase):
            self.status_code = status_code
            self.message = message
            self.phrase = phrase
            super().__init__(status_code, message, phrase)


def client_error(status_code, message):
    """A 4xx error the serving toolkit returns to the caller, with `message` as body and phrase."""
    return BaseInferenceToolkitError(status_code, message, message)
