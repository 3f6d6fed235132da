import { useEffect, useRef, type ReactNode } from 'react';
import './reports.css';
import * as echarts from 'echarts/core.js';
import { BarChart, LineChart } from 'echarts/charts.js';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components.js';
import { SVGRenderer } from 'echarts/renderers.js';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Link, navigate } from '../../router.tsx';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** One series of a chart: a value per category, and where each point leads. */
export interface Series {
  name: string;
  values: number[];
}

export interface ChartData {
  categories: string[];
  series: Series[];
  /** The worklist or records behind category `i` of series `s` (a path below /app). */
  link?: (categoryIndex: number, seriesIndex: number) => string | undefined;
}

/** Nothing to plot: no categories, or every value zero. */
const isEmpty = (data: ChartData): boolean => data.series.every((s) => s.values.every((v) => !v));

/**
 * A chart (ECharts, SVG renderer) with its data table beneath it: the table carries the same
 * numbers for screen readers and keyboard users, and its figures link where the chart's points do.
 * Clicking a bar or point opens the worklist or records behind it.
 */
export function ReportChart({
  id,
  title,
  kind,
  data,
  stacked = false,
  horizontal = false,
}: {
  id: string;
  title: string;
  kind: 'bar' | 'line';
  data: ChartData;
  stacked?: boolean;
  horizontal?: boolean;
}): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const linkRef = useRef(data.link);
  linkRef.current = data.link;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = echarts.init(el, undefined, { renderer: 'svg' });
    const categoryAxis = {
      type: 'category' as const,
      data: data.categories,
      axisLabel: { interval: 0, hideOverlap: true },
    };
    const valueAxis = { type: 'value' as const, minInterval: 1 };
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: data.series.length > 1 ? { top: 0 } : undefined,
      grid: { left: horizontal ? 140 : 48, right: 16, top: data.series.length > 1 ? 32 : 16, bottom: 40 },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
      series: data.series.map((s) => ({
        name: s.name,
        type: kind,
        data: s.values,
        ...(stacked ? { stack: 'total' } : {}),
        cursor: data.link ? 'pointer' : 'default',
      })),
    });
    chart.on('click', (event) => {
      const path = linkRef.current?.(event.dataIndex, event.seriesIndex ?? 0);
      if (path) navigate(path);
    });
    const resize = (): void => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [data, kind, stacked, horizontal]);

  const columns: Array<Column<number>> = [
    { header: 'Category', cell: (i) => data.categories[i], rowHeader: true },
    ...data.series.map((s, si): Column<number> => ({
      header: s.name,
      numeric: true,
      cell: (i) => {
        const value = s.values[i] ?? 0;
        const path = data.link?.(i, si);
        return path ? <Link to={path}>{value}</Link> : value;
      },
    })),
  ];
  return (
    <figure className="report-chart" data-chart={id} aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div className="chart-frame">
        <div ref={box} className="chart-canvas" aria-hidden="true" />
        {/* Bare axes read as "still loading" or "broken": say the range holds nothing instead. */}
        {isEmpty(data) && <p className="chart-empty">Nothing recorded in this range</p>}
      </div>
      <DataTable
        className="data-table chart-data"
        caption={`${title}: data`}
        columns={columns}
        rows={data.categories.map((_, i) => i)}
        rowKey={(i) => i}
      />
    </figure>
  );
}
