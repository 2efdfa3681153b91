/// One entry of an encoder's `stasis.layers` metadata: the layer stack in order. Layer i's
/// tensors are named `layers.<i>.<param>`, which is what a PyTorch `nn.Sequential` stored under an
/// attribute named `layers` produces (parameter-free layers such as ReLU keep their index).
public struct LayerSpec: Codable, Equatable, Sendable {
    /// "linear", "relu", "gelu", "layernorm", "batchnorm" or "skip" (a residual head's linear
    /// skip: adds `layers.<i>.weight` (out × the encoder's input width) times the encoder input,
    /// plus the optional bias, to the running activations).
    public var type: String
    /// linear, skip: input and output widths.
    public var `in`: Int?
    public var out: Int?
    /// linear, skip: whether `layers.<i>.bias` exists.
    public var bias: Bool?
    /// layernorm / batchnorm: the epsilon under the square root (default 1e-5, PyTorch's).
    public var eps: Double?
    /// gelu: "none" (exact, erf; PyTorch's default) or "tanh".
    public var approximate: String?

    public init(type: String, in: Int? = nil, out: Int? = nil, bias: Bool? = nil, eps: Double? = nil,
                approximate: String? = nil) {
        self.type = type
        self.in = `in`
        self.out = out
        self.bias = bias
        self.eps = eps
        self.approximate = approximate
    }
}
