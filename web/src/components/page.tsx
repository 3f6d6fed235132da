import { useEffect, useRef, type ReactNode } from 'react';
import { navigationCount } from '../router.tsx';

/**
 * A page's heading and body. After an in-app navigation the heading takes focus, so keyboard and
 * screen-reader users land on the new content; a fresh load leaves focus at the top of the page.
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
    if (navigationCount() > 0) heading.current?.focus({ preventScroll: true });
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
