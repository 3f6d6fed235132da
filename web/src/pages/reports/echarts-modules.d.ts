// echarts' own typings re-export from extensionless paths ('./shared'), which TypeScript's
// NodeNext resolution cannot follow from an ES module package: everything came through as `any`.
// These declarations type the small part of the API the dashboards use.
declare module 'echarts/core.js' {
  export interface ChartClick {
    dataIndex: number;
    seriesIndex?: number;
  }
  export interface ChartInstance {
    setOption(option: object): void;
    on(event: 'click', handler: (event: ChartClick) => void): void;
    resize(): void;
    dispose(): void;
  }
  export function init(
    element: HTMLElement,
    theme?: string | null,
    options?: { renderer?: 'svg' | 'canvas' },
  ): ChartInstance;
  export function use(extensions: readonly unknown[]): void;
}
declare module 'echarts/charts.js' {
  export const BarChart: unknown;
  export const LineChart: unknown;
}
declare module 'echarts/components.js' {
  export const GridComponent: unknown;
  export const LegendComponent: unknown;
  export const TooltipComponent: unknown;
}
declare module 'echarts/renderers.js' {
  export const SVGRenderer: unknown;
}
