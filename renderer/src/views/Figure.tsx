// One headline figure: a label, the value with its unit, and a line of detail.
export const Figure = ({
  label,
  value,
  detail,
  testId,
}: {
  label: string;
  value: string;
  detail?: string;
  testId?: string;
}) => (
  <div className="figure">
    <div className="figure-label">{label}</div>
    <div className="figure-value" data-testid={testId}>
      {value}
    </div>
    {detail && <div className="figure-detail">{detail}</div>}
  </div>
);
