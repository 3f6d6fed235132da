import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A page's heading and body. The heading takes focus when the page opens, so keyboard and
 * screen-reader users land on the new content after each navigation.
 */
export function Page({
  title,
  actions,
  children,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}): ReactNode {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
    if (typeof title === 'string') document.title = `${title} · Custodian`;
  }, [title]);
  return (
    <>
      <div className="page-head">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {children}
    </>
  );
}
