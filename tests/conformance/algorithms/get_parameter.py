from AlgorithmImports import *


class GetParameterRegressionAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self._check(self.get_parameter("non-existing"), None)
        self._check(self.get_parameter("non-existing", "100"), "100")
        self._check(self.get_parameter("non-existing", 100), 100)
        self._check(self.get_parameter("non-existing", 100.0), 100.0)
        self._check(self.get_parameter("ema-fast"), "10")
        self._check(self.get_parameter("ema-fast", 1), 10)
        self._check(self.get_parameter("ema-fast", 1.0), 10.0)
        self.quit()

    def _check(self, value, expected):
        if value != expected or type(value) is not type(expected):
            raise ValueError(f"get_parameter returned {value!r} ({type(value).__name__}), expected {expected!r}")
