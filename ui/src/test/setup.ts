// jsdom lacks what React Flow measures with.
class RO {
  observe() {}
  unobserve() {}
  disconnect() {}
}
const g = globalThis as Record<string, unknown>;
g.ResizeObserver ??= RO;
g.DOMMatrixReadOnly ??= class {
  m22: number;
  constructor(t?: string) {
    const scale = t?.match(/scale\(([1-9.])\)/)?.[1];
    this.m22 = scale !== undefined ? +scale : 1;
  }
};
