subroutine cg(n, rowptr, col, val, b, x, max_iter, tol, iters)
  implicit none
  integer, intent(in) :: n, rowptr(n + 1), col(*), max_iter
  double precision, intent(in) :: val(*), b(n), tol
  double precision, intent(out) :: x(n)
  integer, intent(out) :: iters
  double precision, allocatable :: r(:), p(:), q(:)
  double precision :: rr, rr_new, pq, bb, alpha, beta, s
  integer :: i, k
  allocate(r(n), p(n), q(n))
  x = 0d0
  r = b
  p = b
  rr = 0d0
  bb = 0d0
  !$omp parallel do reduction(+:rr, bb)
  do i = 1, n
    rr = rr + r(i) * r(i)
    bb = bb + b(i) * b(i)
  end do
  !$omp end parallel do
  iters = 0
  do while (iters < max_iter .and. rr > tol * tol * bb)
    pq = 0d0
    !$omp parallel do private(k, s) reduction(+:pq)
    do i = 1, n
      s = 0d0
      do k = rowptr(i), rowptr(i + 1) - 1
        s = s + val(k) * p(col(k))
      end do
      q(i) = s
      pq = pq + p(i) * s
    end do
    !$omp end parallel do
    alpha = rr / pq
    rr_new = 0d0
    !$omp parallel do reduction(+:rr_new)
    do i = 1, n
      x(i) = x(i) + alpha * p(i)
      r(i) = r(i) - alpha * q(i)
      rr_new = rr_new + r(i) * r(i)
    end do
    !$omp end parallel do
    beta = rr_new / rr
    !$omp parallel do
    do i = 1, n
      p(i) = r(i) + beta * p(i)
    end do
    !$omp end parallel do
    rr = rr_new
    iters = iters + 1
  end do
  deallocate(r, p, q)
end subroutine cg
