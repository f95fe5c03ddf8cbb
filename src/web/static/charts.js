// Draws the charts of the report pages with Apache ECharts. Each <div class="echart" data-chart=…>
// holds its figures as JSON ({kind, title, unit, labels, series: [{name, values}]}); the table with
// the same numbers follows it in the page, so without JavaScript nothing is lost.
(() => {
  if (!window.echarts) return;
  const palette = ['#b71c1c', '#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037', '#546e7a'];

  function option(spec) {
    const unit = spec.unit || '';
    const tooltip = { trigger: spec.kind === 'pie' ? 'item' : 'axis', valueFormatter: (v) => `${v}${unit}` };
    if (spec.kind === 'pie') {
      const first = spec.series[0] || { values: [] };
      return {
        color: palette,
        tooltip,
        legend: { type: 'scroll', bottom: 0 },
        series: [{
          type: 'pie',
          name: first.name,
          radius: ['35%', '65%'],
          label: { formatter: '{b}\n{c}' + unit + '({d}%)' },
          data: spec.labels.map((label, i) => ({ name: label, value: first.values[i] })),
        }],
      };
    }
    if (spec.kind === 'line') {  // a trend over periods; a period without figures is a gap
      const first = spec.series[0] || { values: [] };
      return {
        color: palette,
        tooltip,
        grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: spec.labels, boundaryGap: false },
        yAxis: { type: 'value', minInterval: 1 },
        series: [{ type: 'line', name: first.name, data: first.values, label: { show: true }, connectNulls: false }],
      };
    }
    // Horizontal bars: long category names (民族, 党派, 组成人员) stay readable on a phone.
    return {
      color: palette,
      tooltip,
      legend: spec.series.length > 1 ? { top: 0 } : undefined,
      grid: { left: 8, right: 48, top: spec.series.length > 1 ? 32 : 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: spec.labels, inverse: true, axisLabel: { width: 110, overflow: 'truncate' } },
      series: spec.series.map((s) => ({
        type: 'bar', name: s.name, data: s.values, label: { show: true, position: 'right' },
      })),
    };
  }

  const charts = [];
  for (const element of document.querySelectorAll('.echart[data-chart]')) {
    let spec;
    try {
      spec = JSON.parse(element.dataset.chart);
    } catch {
      continue;  // a malformed block leaves the table alone on the page
    }
    if (!spec.labels || !spec.labels.length) continue;
    element.hidden = false;
    if (spec.kind === 'bar') {  // room for every bar: many offices or members make a tall chart
      const rows = spec.labels.length * Math.max(spec.series.length, 1);
      element.style.height = `${Math.max(180, rows * 16 + spec.labels.length * 8 + 60)}px`;
    }
    const chart = window.echarts.init(element, null, { renderer: 'canvas' });
    chart.setOption(option(spec));
    charts.push(chart);
  }
  window.addEventListener('resize', () => charts.forEach((chart) => chart.resize()));
})();
